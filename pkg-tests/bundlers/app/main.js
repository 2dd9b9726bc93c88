// The test app's entry: kms-wasm imported by name, nothing configured.
import { check } from './check.js';

check();
