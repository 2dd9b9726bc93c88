// The `kms.on` handlers of a KMS and all its views: EventBridge-style events
// the core raised, handed out once the call that raised them is committed.
// A handler that throws or rejects is reported with console.error; it never
// fails the call.

/** Event handlers by detail-type ('*' for all). */
export class EventHub {
  constructor() {
    this.handlers = new Map();
  }

  /** Hands events to their handlers; a failing handler is reported, never thrown. */
  deliver(events) {
    if (events.length === 0 || this.handlers.size === 0) return;
    for (const event of events) {
      const type = event && event['detail-type'];
      const targets = [...(this.handlers.get(type) ?? []), ...(this.handlers.get('*') ?? [])];
      for (const handler of targets) {
        try {
          const result = handler(event);
          if (result && typeof result.then === 'function') {
            result.then(undefined, (err) => reportHandlerError(type, err));
          }
        } catch (err) {
          reportHandlerError(type, err);
        }
      }
    }
  }

  on(detailType, handler) {
    let set = this.handlers.get(detailType);
    if (!set) this.handlers.set(detailType, (set = new Set()));
    set.add(handler);
  }

  off(detailType, handler) {
    const set = this.handlers.get(detailType);
    if (!set) return;
    set.delete(handler);
    if (set.size === 0) this.handlers.delete(detailType);
  }
}

function reportHandlerError(type, err) {
  try {
    console.error(`kms-wasm: a handler of '${type}' events failed; the KMS carries on.`, err);
  } catch {
    // no console: nothing more to do
  }
}
