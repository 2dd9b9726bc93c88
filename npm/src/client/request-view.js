// The view of a KMS that one protocol request acts through: the region of
// the request (from its SigV4 credential scope) and its request id (the
// `x-amzn-RequestId` of the response, which the call's audit record
// carries as `requestID`). Shared by `kms-wasm serve` and requestHandler.

import { viewWith } from '../client.js';

/**
 * @param {import('../client.js').Kms} kms
 * @param {{ region?: string, requestId?: string }} request
 * @returns {import('../client.js').Kms}
 */
export function requestView(kms, { region, requestId } = {}) {
  return viewWith(kms, { region: region || undefined, requestId });
}
