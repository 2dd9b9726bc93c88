// Keyrings: who wraps and unwraps the data key of a message.
//
// A keyring is an object with two methods, called by encryptMessage /
// decryptMessage and the streams:
//   onEncrypt({ glue, encryptionContext, dataKey? }) -> { dataKey, encryptedDataKeys }
//     (generates the data key when none is given and it is a generator)
//   onDecrypt({ glue, encryptionContext, encryptedDataKeys }) -> Uint8Array | null
// `encryptionContext` is the full context of the message (for 0x0578 it
// includes aws-crypto-public-key), as the AWS Encryption SDK binds it.

import { envelopeError, toBytes, randomBytes } from './errors.js';

const KEYRING = Symbol.for('kms-wasm.keyring');
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function isKeyring(k) {
  return !!k && typeof k.onEncrypt === 'function' && typeof k.onDecrypt === 'function';
}

function invalid(message) {
  return envelopeError('KeyringError', 'InvalidKeyring', message);
}

/**
 * The AWS Encryption SDK's raw AES keyring (AES-GCM key wrapping under a
 * wrapping key you hold: 16, 24 or 32 bytes).
 * @param {{ keyNamespace: string, keyName: string, wrappingKey: Uint8Array }} options
 */
export function rawAesKeyring(options) {
  const { keyNamespace, keyName, wrappingKey } = options || {};
  if (typeof keyNamespace !== 'string' || !keyNamespace) throw invalid('rawAesKeyring: keyNamespace must be a non-empty string.');
  if (typeof keyName !== 'string' || !keyName) throw invalid('rawAesKeyring: keyName must be a non-empty string.');
  if (keyNamespace === 'aws-kms') throw invalid("rawAesKeyring: the key namespace 'aws-kms' is reserved for KMS keyrings.");
  let key;
  try { key = toBytes(wrappingKey, 'wrappingKey'); } catch { key = null; }
  if (!key || ![16, 24, 32].includes(key.length)) {
    throw envelopeError('KeyringError', 'InvalidWrappingKey', 'rawAesKeyring: wrappingKey must be 16, 24 or 32 bytes.');
  }
  key = Uint8Array.from(key); // the caller may reuse theirs
  return Object.freeze({
    [KEYRING]: 'rawAes',
    keyNamespace,
    keyName,
    async onEncrypt({ glue, encryptionContext, dataKey }) {
      const dk = dataKey || randomBytes(32);
      const edk = glue.rawAesWrap(keyNamespace, keyName, key, encryptionContext, dk);
      return { dataKey: dk, encryptedDataKeys: [edk] };
    },
    async onDecrypt({ glue, encryptionContext, encryptedDataKeys }) {
      const mine = encryptedDataKeys.filter((e) => e.providerId === keyNamespace);
      if (mine.length === 0) return null;
      try {
        return glue.rawAesUnwrap(keyNamespace, keyName, key, encryptionContext, mine);
      } catch (e) {
        if (e && e.code === 'UnableToDecryptDataKey') return null;
        throw e;
      }
    },
  });
}

const ARN_RE = /^arn:([^:]+):kms:([^:]+):(\d{12}):key\/(.+)$/;

/** The parts of a KMS key ARN (`partition`, `region`, `account`, `id`), or null. */
function keyArnParts(arn) {
  const m = ARN_RE.exec(arn);
  return m ? { partition: m[1], region: m[2], account: m[3], id: m[4] } : null;
}

/**
 * Whether an EDK made under `edkArn` may be decrypted with the configured
 * key `configured`: the same ARN, or (the AWS Encryption SDK's multi-Region
 * aware keyrings) two ARNs of one multi-Region key (`mrk-...`) that differ
 * only in their Region.
 */
function mrkMatch(configured, edkArn) {
  if (configured === edkArn) return true;
  const a = keyArnParts(configured);
  const b = keyArnParts(edkArn);
  return Boolean(a && b && a.id.startsWith('mrk-') && a.id === b.id && a.partition === b.partition && a.account === b.account);
}

/**
 * A keyring over AWS KMS keys: `client` is a kms-wasm KMS or any object with
 * the AWS KMS generateDataKey / encrypt / decrypt methods (e.g. `new KMS()`
 * of @aws-sdk/client-kms). EDKs are recorded as providerId 'aws-kms' with the
 * key ARN as provider info, as the AWS Encryption SDK does.
 *
 * Multi-Region aware, as the Encryption SDK's `AwsKmsMrkAware*` keyrings:
 * an EDK made by a multi-Region key (`mrk-...`) in any Region is decrypted
 * with the configured key of the same id, in the configured key's Region.
 * A key given as an ARN of another Region than the client's is used
 * through `client.inRegion(region)` when the client has it (a kms-wasm KMS).
 * @param {{ client: any, generatorKeyId?: string, keyIds?: string[], grantTokens?: string[] }} options
 */
export function kmsKeyring(options) {
  const { client, generatorKeyId, keyIds = [], grantTokens } = options || {};
  if (!client || typeof client.decrypt !== 'function' || typeof client.encrypt !== 'function' || typeof client.generateDataKey !== 'function') {
    throw invalid('kmsKeyring: client must have generateDataKey, encrypt and decrypt methods (a kms-wasm KMS or an AWS KMS client).');
  }
  if (generatorKeyId !== undefined && (typeof generatorKeyId !== 'string' || !generatorKeyId)) throw invalid('kmsKeyring: generatorKeyId must be a non-empty string.');
  if (!Array.isArray(keyIds) || keyIds.some((k) => typeof k !== 'string' || !k)) throw invalid('kmsKeyring: keyIds must be an array of non-empty strings.');
  if (generatorKeyId === undefined && keyIds.length === 0) throw invalid('kmsKeyring: give a generatorKeyId or keyIds.');
  const keys = [...(generatorKeyId ? [generatorKeyId] : []), ...keyIds];
  const grants = grantTokens ? { GrantTokens: [...grantTokens] } : {};
  // The client for a key: a kms-wasm KMS acts in the Region of the key's ARN.
  const clientFor = (keyId) => {
    const region = keyArnParts(keyId)?.region;
    if (!region || typeof client.inRegion !== 'function' || client.region === region) return client;
    return client.inRegion(region);
  };
  const edkOf = (keyId, blob) => ({ providerId: 'aws-kms', providerInfo: utf8.encode(keyId), encryptedDataKey: toBytes(blob, 'CiphertextBlob') });
  return Object.freeze({
    [KEYRING]: 'kms',
    generatorKeyId,
    keyIds: Object.freeze([...keyIds]),
    async onEncrypt({ encryptionContext, dataKey }) {
      const encryptedDataKeys = [];
      let dk = dataKey;
      if (!dk) {
        if (!generatorKeyId) throw invalid('kmsKeyring: no data key to wrap and no generatorKeyId to make one.');
        const r = await clientFor(generatorKeyId).generateDataKey({ KeyId: generatorKeyId, NumberOfBytes: 32, EncryptionContext: encryptionContext, ...grants });
        dk = r && r.Plaintext ? Uint8Array.from(toBytes(r.Plaintext, 'Plaintext')) : null;
        if (!dk || dk.length !== 32 || typeof r.KeyId !== 'string' || !r.CiphertextBlob) {
          throw envelopeError('KeyringError', 'InvalidKeyring', 'kmsKeyring: generateDataKey did not return a 32-byte Plaintext, a CiphertextBlob and a KeyId.');
        }
        encryptedDataKeys.push(edkOf(r.KeyId, r.CiphertextBlob));
      } else if (generatorKeyId) {
        const r = await clientFor(generatorKeyId).encrypt({ KeyId: generatorKeyId, Plaintext: dk, EncryptionContext: encryptionContext, ...grants });
        encryptedDataKeys.push(edkOf(r.KeyId, r.CiphertextBlob));
      }
      for (const keyId of keyIds) {
        const r = await clientFor(keyId).encrypt({ KeyId: keyId, Plaintext: dk, EncryptionContext: encryptionContext, ...grants });
        encryptedDataKeys.push(edkOf(r.KeyId, r.CiphertextBlob));
      }
      return { dataKey: dk, encryptedDataKeys };
    },
    async onDecrypt({ encryptionContext, encryptedDataKeys }) {
      const errors = [];
      for (const edk of encryptedDataKeys) {
        if (edk.providerId !== 'aws-kms') continue;
        const edkArn = fromUtf8.decode(edk.providerInfo);
        const arn = keys.find((k) => mrkMatch(k, edkArn));
        if (arn === undefined) continue;
        try {
          const r = await clientFor(arn).decrypt({ CiphertextBlob: edk.encryptedDataKey, EncryptionContext: encryptionContext, KeyId: arn, ...grants });
          if (r.KeyId !== arn) throw new Error(`KMS decrypted with ${r.KeyId}, not ${arn}`);
          const dk = Uint8Array.from(toBytes(r.Plaintext, 'Plaintext'));
          if (dk.length !== 32) throw new Error('KMS returned a data key that is not 32 bytes');
          return dk;
        } catch (e) {
          errors.push(e);
        }
      }
      if (errors.length) {
        throw envelopeError('KeyringError', 'UnableToDecryptDataKey',
          `kmsKeyring: no encrypted data key could be decrypted: ${errors.map((e) => `${e.name}: ${e.message}`).join('; ')}`,
          errors.length === 1 ? errors[0] : new AggregateError(errors));
      }
      return null;
    },
  });
}

/**
 * Several keyrings as one: the generator makes and wraps the data key, each
 * child wraps it too; on decrypt the first keyring that unwraps a data key wins.
 * @param {{ generator?: object, children?: object[] }} options
 */
export function multiKeyring(options) {
  const { generator, children = [] } = options || {};
  if (generator !== undefined && !isKeyring(generator)) throw invalid('multiKeyring: generator must be a keyring.');
  if (!Array.isArray(children) || !children.every(isKeyring)) throw invalid('multiKeyring: children must be an array of keyrings.');
  if (!generator && children.length === 0) throw invalid('multiKeyring: give a generator or children.');
  const all = [...(generator ? [generator] : []), ...children];
  return Object.freeze({
    [KEYRING]: 'multi',
    async onEncrypt(ctx) {
      let dataKey = ctx.dataKey;
      const encryptedDataKeys = [];
      if (generator) {
        const r = await generator.onEncrypt(ctx);
        dataKey = r.dataKey;
        encryptedDataKeys.push(...r.encryptedDataKeys);
      } else if (!dataKey) {
        throw invalid('multiKeyring: no generator to make the data key.');
      }
      for (const child of children) {
        const r = await child.onEncrypt({ ...ctx, dataKey });
        encryptedDataKeys.push(...r.encryptedDataKeys);
      }
      return { dataKey, encryptedDataKeys };
    },
    async onDecrypt(ctx) {
      const errors = [];
      for (const k of all) {
        try {
          const dk = await k.onDecrypt(ctx);
          if (dk) return dk;
        } catch (e) {
          errors.push(e);
        }
      }
      if (errors.length) {
        throw envelopeError('KeyringError', 'UnableToDecryptDataKey',
          `multiKeyring: no keyring could decrypt a data key: ${errors.map((e) => e.message).join('; ')}`, new AggregateError(errors));
      }
      return null;
    },
  });
}
