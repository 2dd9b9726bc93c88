// Compiled only in the cells whose libraries do not declare
// Symbol.asyncDispose (lib ES2022 + DOM, no @types/node). There Kms has no
// symbol-keyed member at all (no error, no index signature), and importing
// kms-wasm has not declared the symbol for the rest of the program.

import type { Kms } from 'kms-wasm';
import { expectType, type Equal } from './usage.js';

expectType<Equal<Extract<keyof Kms, symbol>, never>>();
expectType<Equal<'asyncDispose' extends keyof SymbolConstructor ? true : false, false>>();
