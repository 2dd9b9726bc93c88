// The entry for bundlers that do not emit the package's wasm by themselves
// (esbuild): the wasm imported as a file URL and handed to createKms.
//   esbuild --bundle --format=esm --loader:.wasm=file
import wasmUrl from 'kms-wasm/kms_wasm_bg.wasm';
import { check } from './check.js';

check({ wasmUrl });
