#!/usr/bin/env node
// The kms-wasm command line (`npx kms-wasm --help`). The code is in src/cli/.
import { cli } from '../src/cli/main.js';

cli();
