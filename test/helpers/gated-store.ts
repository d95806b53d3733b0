import type { InsertEventResult, NewEvent, Store, StoredDelivery } from '../../src/store/store.js';

/**
 * The same store, with a hook around `storeDeliveries` (the group commit's only write),
 * `insertEvent` and `insertEvents`: it runs `before(batch)` and waits for it before the real commit. Tests use it to
 * hold a commit open ("the reply must wait") or to widen the gap between a request and its
 * commit (the crash test), without touching the store itself.
 */
export function storeWithCommitHook(store: Store, before: (batch: NewEvent[]) => Promise<void>): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'storeDeliveries') {
        return async (batch: NewEvent[]): Promise<StoredDelivery[]> => {
          await before(batch);
          return target.storeDeliveries(batch);
        };
      }
      if (property === 'insertEvents') {
        return async (batch: NewEvent[]): Promise<InsertEventResult[]> => {
          await before(batch);
          return target.insertEvents(batch);
        };
      }
      if (property === 'insertEvent') {
        return async (event: NewEvent): Promise<InsertEventResult> => {
          await before([event]);
          return target.insertEvent(event);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A commit hook that holds every commit until `open()` (or fails it with `fail()`). */
export function commitGate(): {
  hook: (batch: NewEvent[]) => Promise<void>;
  /** Resolves when a commit is waiting at the gate. */
  entered: Promise<void>;
  open: () => void;
  fail: (error: Error) => void;
} {
  let markEntered: () => void = () => undefined;
  const entered = new Promise<void>((resolve) => (markEntered = resolve));
  let release: (error?: Error) => void = () => undefined;
  const released = new Promise<void>((resolve, reject) => {
    release = (error) => (error ? reject(error) : resolve());
  });
  released.catch(() => undefined); // observed by each hook call below
  return {
    hook: async () => {
      markEntered();
      await released;
    },
    entered,
    open: () => release(),
    fail: (error) => release(error),
  };
}
