// The AWS SDK's command form: `kms.send(new EncryptCommand(input))`.
//
// How the operation is recognized: @aws-sdk/client-kms v3 command objects
// carry their operation's schema, `command.schema = [kind, 'com.amazonaws.kms',
// 'Encrypt', ...]` — strings that survive any minifier. Commands of older SDK
// releases without a schema are recognized by their class name
// (`EncryptCommand`), which a minifier that renames classes breaks: with such
// a bundle, use the methods (`kms.encrypt(input)`) instead. The SDK itself is
// never imported.

import { KmsError } from '../errors.js';
import { OPERATIONS, OTHER_KMS_OPERATIONS } from '../api.js';

const KNOWN = new Set(OPERATIONS);
const OTHER = new Set(OTHER_KMS_OPERATIONS);
const NAMESPACE = 'com.amazonaws.kms';

/** The AWS operation a command object stands for; a KmsError when it is none that kms-wasm answers. */
export function commandOperation(command) {
  if (command === null || typeof command !== 'object') {
    throw new KmsError('ValidationException', 'send takes an AWS SDK command object, e.g. new EncryptCommand(input) from @aws-sdk/client-kms.');
  }
  let name;
  const { schema } = command;
  if (Array.isArray(schema) && typeof schema[2] === 'string') {
    if (schema[1] !== NAMESPACE) {
      throw new KmsError('UnsupportedOperationException', `send takes AWS KMS commands; this one is of ${String(schema[1])}.`);
    }
    name = schema[2];
  } else {
    const m = /^([A-Z][A-Za-z]+)Command$/.exec(command.constructor?.name ?? '');
    if (m) name = m[1];
  }
  if (name !== undefined && KNOWN.has(name)) return name;
  if (name !== undefined && OTHER.has(name)) {
    throw new KmsError('UnsupportedOperationException', `kms-wasm does not implement ${name}.`);
  }
  throw new KmsError('UnsupportedOperationException', 'send cannot recognize this command: it is not an AWS KMS command of @aws-sdk/client-kms (or its class name was minified away and it carries no schema; call the method, e.g. kms.encrypt(input), instead).');
}
