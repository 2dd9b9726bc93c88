// kms.send(command): @aws-sdk/client-kms command objects, for every
// operation of the AWS KMS API. Each operation answers through send exactly
// as through its method (same input, same outcome); those kms-wasm does not
// implement reject with UnsupportedOperationException; commands are
// recognized by their schema (minification-safe) or, without one, by class
// name; anything else is a clear AWS-named error, never a TypeError.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as sdk from '@aws-sdk/client-kms';
import { createKms } from 'kms-wasm';

const utf8 = (s) => new TextEncoder().encode(s);
const lowerCamel = (s) => s.charAt(0).toLowerCase() + s.slice(1);
const OPERATIONS = Object.keys(sdk)
  .filter((k) => /^[A-Z]\w*Command$/.test(k) && typeof sdk[k] === 'function' && k !== 'Command')
  .map((k) => k.slice(0, -'Command'.length));

/** A call's outcome in comparable form: the error name, or the response without request-specific ids and dates. */
async function outcome(call) {
  try {
    const r = await call();
    return { ok: Object.keys(r ?? {}).sort() };
  } catch (e) {
    assert.ok(!(e instanceof TypeError), `a TypeError: ${e.stack}`);
    return { error: e.name };
  }
}

describe('kms.send with @aws-sdk/client-kms commands', () => {
  test(`each of the ${OPERATIONS.length} operations of the SDK answers through send as through its method`, async () => {
    assert.ok(OPERATIONS.length >= 56, `the SDK's operations: ${OPERATIONS.length}`);
    const kms = await createKms();
    let implemented = 0;
    for (const op of OPERATIONS) {
      const command = new sdk[`${op}Command`]({});
      if (typeof kms[lowerCamel(op)] !== 'function') {
        await assert.rejects(kms.send(command), { name: 'UnsupportedOperationException', message: `kms-wasm does not implement ${op}.` });
        continue;
      }
      implemented += 1;
      const viaMethod = await outcome(() => kms[lowerCamel(op)]({}));
      const viaSend = await outcome(() => kms.send(command));
      assert.deepEqual(viaSend, viaMethod, op);
    }
    // The SDK's 56 operations less the 10 of the key families not built yet.
    assert.equal(implemented, 46);
    await kms.close();
  });

  test('a round trip, the callback form, and the responses of the methods', async () => {
    const kms = await createKms();
    const { KeyMetadata } = await kms.send(new sdk.CreateKeyCommand({ Description: 'through send' }));
    assert.equal(KeyMetadata.Description, 'through send');
    const { CiphertextBlob } = await kms.send(new sdk.EncryptCommand({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('hi'), EncryptionContext: { a: '1' } }));
    const viaSend = await kms.send(new sdk.DecryptCommand({ CiphertextBlob, EncryptionContext: { a: '1' } }));
    const viaMethod = await kms.decrypt({ CiphertextBlob, EncryptionContext: { a: '1' } });
    assert.deepEqual(viaSend, viaMethod);
    await assert.rejects(kms.send(new sdk.DecryptCommand({ CiphertextBlob, EncryptionContext: { a: '2' } })), { name: 'InvalidCiphertextException' });
    const listed = await new Promise((resolve, reject) => {
      kms.send(new sdk.ListKeysCommand({}), (err, data) => (err ? reject(err) : resolve(data)));
    });
    assert.ok(listed.Keys.some((k) => k.KeyId === KeyMetadata.KeyId));
    await kms.close();
  });

  test('recognized by schema when the class name is minified away, by class name without a schema; anything else refused', async () => {
    const kms = await createKms();
    // A minifier renames classes: the schema still names the operation.
    const minified = new sdk.ListKeysCommand({ Limit: 1 });
    Object.defineProperty(minified, 'constructor', { value: class a {} });
    assert.ok(Array.isArray((await kms.send(minified)).Keys));
    // An SDK release without schemas: the class name.
    class ListAliasesCommand {
      constructor(input) { this.input = input; }
    }
    assert.ok(Array.isArray((await kms.send(new ListAliasesCommand({}))).Aliases));
    for (const [command, name] of [
      [null, 'ValidationException'],
      ['ListKeys', 'ValidationException'],
      [{ input: {} }, 'UnsupportedOperationException'],
      [{ schema: [9, 'com.amazonaws.s3', 'ListBuckets'], input: {} }, 'UnsupportedOperationException'],
      [{ schema: [9, 'com.amazonaws.kms', 'NoSuchOperation'], input: {} }, 'UnsupportedOperationException'],
    ]) {
      await assert.rejects(kms.send(command), { name }, JSON.stringify(command));
    }
    await kms.close();
  });
});
