// Module resolve hook for node/serve-suite.test.mjs: inside suite/, the bare
// specifier 'kms-wasm' resolves to node/serve-kms-wasm.mjs (the package with
// createKms over HTTP). Everything else, including that module's own import
// of 'kms-wasm', resolves as usual.
let shimUrl;
let suiteDir;

export async function initialize(data) {
  shimUrl = data.shimUrl;
  suiteDir = data.suiteDir;
}

export async function resolve(specifier, context, next) {
  if (specifier === 'kms-wasm' && context.parentURL && context.parentURL.startsWith(suiteDir)) {
    return { url: shimUrl, shortCircuit: true };
  }
  return next(specifier, context);
}
