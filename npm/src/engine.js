// One wasm instance ("engine") is shared by every KMS made by createKms. A
// Rust panic traps the instance, leaving its memory in an unknown state; the
// engine is then marked dead and each KMS moves to a fresh instance, rebuilt
// from its last snapshot, before its next call.
//
// The glue is wasm-bindgen `--target web` output built with
// `--experimental-reset-state-function`: it keeps its instance in module
// state, and `__wbg_reset_state()` replaces that instance in place with a new
// one of the module it already has (synchronously, no fetch, no compile) and
// resets the glue's own state. So a fresh engine is the same glue, reset: no
// second import of the glue (a query-string `import()` breaks under bundlers
// and dev servers), and the one static import is what bundlers follow.
//
// A reset makes every wasm-bindgen object of the old instance stale. The glue
// refuses to call them (they throw "Invalid stale object") and its finalizers
// skip them; `kill` also forgets each one (see `forget`) so that nothing
// built on them is used again.

import { KmsError } from './errors.js';

/**
 * @typedef {object} Platform how an entry point loads one wasm module with its glue
 * @property {any | (() => any | Promise<any>)} glue the wasm-bindgen glue module
 *   (its namespace object), or a function loading it (for a glue imported on demand)
 * @property {() => WebAssembly.Module | Promise<WebAssembly.Module>} compile the compiled module (cached by the platform)
 * @property {(glue: any, module: WebAssembly.Module) => unknown} instantiate the glue's first initialization with it
 * @property {'core' | 'full'} [kind] which engine the module is (docs/engines.md)
 */

/**
 * @typedef {object} Engine
 * @property {any} glue the initialized wasm-bindgen glue module (WasmKms, __BenchCipher)
 * @property {'core' | 'full'} kind which engine it is
 * @property {boolean} alive false once the instance trapped
 * @property {number} id
 * @property {Set<WeakRef<object>>} members the wasm-bindgen objects living in the instance
 */

/**
 * The instance state of each glue module. A glue holds one instance, so
 * every createEngines over the same glue (e.g. two entries of the package
 * loaded in one realm) shares it: a trap seen by one kills it for all.
 * @type {WeakMap<object, { current: Engine | null, pending: Promise<Engine> | null, initialized: boolean, count: number }>}
 */
const STATES = new WeakMap();

function stateOf(glue) {
  let state = STATES.get(glue);
  if (!state) {
    state = { current: null, pending: null, initialized: false, count: 0 };
    STATES.set(glue, state);
  }
  return state;
}

/** @param {Platform} platform */
export function createEngines(platform) {
  /** @type {any} */
  let glue = typeof platform.glue === 'function' ? null : platform.glue;
  /** @type {Promise<any> | null} */
  let loadingGlue = null;

  function loadGlue() {
    if (glue) return glue;
    if (!loadingGlue) {
      loadingGlue = Promise.resolve()
        .then(() => platform.glue())
        .then((g) => { glue = g; return g; })
        .finally(() => { loadingGlue = null; });
    }
    return loadingGlue;
  }

  async function start(g, state) {
    try {
      return await startOnce(g, state);
    } catch (e) {
      if (e instanceof KmsError) throw e;
      throw new KmsError('KMSInternalException', `The wasm instance did not start (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
    }
  }

  async function startOnce(g, state) {
    if (!state.initialized) {
      // The first instance: compile (or fetch and compile) the module once.
      const module = await platform.compile();
      if (!state.initialized) {
        await platform.instantiate(g, module);
        state.initialized = true;
      }
    } else {
      // Later instances: the same glue, re-instantiated over the module it holds.
      if (typeof g.__wbg_reset_state !== 'function') {
        throw new Error('the glue cannot start a fresh instance: it was built without wasm-bindgen --experimental-reset-state-function');
      }
      g.__wbg_reset_state();
    }
    const id = state.count;
    state.count = id + 1;
    state.current = { glue: g, kind: platform.kind ?? 'core', alive: true, id, members: new Set() };
    return state.current;
  }

  function live() {
    if (glue) {
      const state = stateOf(glue);
      if (state.current && state.current.alive) return Promise.resolve(state.current);
      if (!state.pending) state.pending = start(glue, state).finally(() => { state.pending = null; });
      return state.pending;
    }
    return Promise.resolve(loadGlue()).then(live);
  }

  return {
    /** The live engine, starting one when there is none. @returns {Promise<Engine>} */
    live,
    /** Marks an engine dead after it trapped. @param {Engine} engine */
    kill(engine) {
      if (!engine.alive) return;
      engine.alive = false;
      const state = stateOf(engine.glue);
      if (state.current === engine) state.current = null;
      // No finalizer may ever call into the dead instance, nor into the one replacing it.
      for (const ref of engine.members) forget(ref.deref());
      engine.members.clear();
    },
  };
}

/**
 * The two engines of the package (docs/engines.md): the small core engine,
 * loaded first, and the full engine, loaded the first time something asks
 * for it (and then once, however many ask at the same time). Each has its
 * own glue and instance, so a trap or a failed load of one leaves the other
 * as it was.
 * @param {{ core: Platform, full: Platform }} platforms
 */
export function createEngineSet(platforms) {
  const sets = {
    core: createEngines({ ...platforms.core, kind: 'core' }),
    full: createEngines({ ...platforms.full, kind: 'full' }),
  };
  return {
    /**
     * The live engine of that kind, starting (and for the full engine, loading) it when there is none.
     * @param {'core' | 'full'} [kind]
     * @returns {Promise<Engine>}
     */
    live(kind = 'core') {
      return sets[kind === 'full' ? 'full' : 'core'].live();
    },
    /** Marks an engine dead after it trapped. @param {Engine} engine */
    kill(engine) {
      sets[engine.kind === 'full' ? 'full' : 'core'].kill(engine);
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
