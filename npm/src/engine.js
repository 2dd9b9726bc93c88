// One wasm instance ("engine") is shared by every KMS made by createKms. A
// Rust panic traps the instance, leaving its memory in an unknown state; the
// engine is then marked dead and each KMS moves to a fresh instance, rebuilt
// from its last snapshot, before its next call.
//
// The wasm-bindgen `--target web` glue keeps its instance in module state and
// initializes only once, so a fresh instance needs a fresh copy of the glue
// module: it is re-imported with a cache-busting query. The first instance
// uses the static import, which bundlers can follow.

import * as firstGlue from '../pkg/kms_wasm.js';

/**
 * @typedef {object} Platform how an entry point loads the wasm
 * @property {() => WebAssembly.Module | Promise<WebAssembly.Module>} compile the compiled module (cached by the platform)
 * @property {(glue: any, module: WebAssembly.Module) => unknown} instantiate initializes a glue module with it
 */

/**
 * @typedef {object} Engine
 * @property {any} glue the initialized wasm-bindgen glue module (WasmKms, __BenchCipher)
 * @property {boolean} alive false once the instance trapped
 * @property {number} id
 * @property {Set<WeakRef<object>>} members the wasm-bindgen objects living in the instance
 */

/** @param {Platform} platform */
export function createEngines(platform) {
  /** @type {Engine | null} */
  let current = null;
  /** @type {Promise<Engine> | null} */
  let pending = null;
  let count = 0;

  async function start() {
    const module = await platform.compile();
    const id = count;
    count = id + 1; // never retry a URL whose import may have failed
    const glue = id === 0
      ? firstGlue
      : await import(/* webpackIgnore: true */ /* @vite-ignore */ new URL(`../pkg/kms_wasm.js?instance=${id}`, import.meta.url).href);
    await platform.instantiate(glue, module);
    current = { glue, alive: true, id, members: new Set() };
    return current;
  }

  return {
    /** The live engine, starting one when there is none. @returns {Promise<Engine>} */
    live() {
      if (current && current.alive) return Promise.resolve(current);
      if (!pending) pending = start().finally(() => { pending = null; });
      return pending;
    },
    /** Marks an engine dead after it trapped. @param {Engine} engine */
    kill(engine) {
      engine.alive = false;
      if (current === engine) current = null;
      // No finalizer may ever call into the dead instance.
      for (const ref of engine.members) forget(ref.deref());
      engine.members.clear();
    },
  };
}

/**
 * Drops a wasm-bindgen object without calling into its (possibly trapped)
 * instance, and unregisters it from the glue's FinalizationRegistry so no
 * finalizer ever calls into the dead instance either.
 */
export function forget(obj) {
  if (!obj) return;
  try {
    if (typeof obj.__destroy_into_raw === 'function') obj.__destroy_into_raw();
  } catch {
    // nothing more we can do
  }
}

/** Records a wasm-bindgen object made in `engine`, so killing the engine can forget it. */
export function adopt(engine, obj) {
  const members = engine.members;
  if (members.size >= 64 && (members.size & (members.size - 1)) === 0) {
    for (const ref of members) if (ref.deref() === undefined) members.delete(ref);
  }
  members.add(new WeakRef(obj));
  return obj;
}
