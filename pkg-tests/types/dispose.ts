// Compiled only in the cells whose libraries declare Symbol.asyncDispose
// (lib.esnext.disposable, @types/node, or both): there a Kms is an
// AsyncDisposable, so `await using` closes it at the end of the scope.

import { createKms, type Kms } from 'kms-wasm';
import { expectType, type Equal } from './usage.js';

export async function awaitUsing(): Promise<string> {
  await using kms = await createKms();
  const { KeyMetadata } = await kms.createKey();
  return KeyMetadata.KeyId;
}

// The member is keyed by the program's one Symbol.asyncDispose (whichever
// libraries declare it) and has close()'s type.
expectType<Equal<Kms[typeof Symbol.asyncDispose], () => Promise<void>>>();
expectType<Equal<Extract<keyof Kms, symbol>, typeof Symbol.asyncDispose>>();
export async function kmsIsAsyncDisposable(): Promise<AsyncDisposable> {
  return createKms();
}

// Views are AsyncDisposable too (disposing one closes the KMS it views, like close()).
export async function viewIsDisposable(kms: Kms): Promise<void> {
  await using view = kms.withCaller('arn:aws:iam::111122223333:user/alice');
  await view.listKeys();
}
