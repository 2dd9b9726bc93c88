// The entry for bundlers that do not emit the package's wasm by themselves
// (esbuild): the engines' wasm files imported as file URLs and handed to createKms.
//   esbuild --bundle --format=esm --loader:.wasm=file
import core from 'kms-wasm/core.wasm';
import full from 'kms-wasm/full.wasm';
import { check } from './check.js';

check({ wasmUrl: { core, full } });
