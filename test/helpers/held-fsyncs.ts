/**
 * A WalFsyncHook (src/store/sqlite/wal-sync.ts) that holds the WAL fsyncs of a SQLite store
 * until the test lets each go, so a test can check what is (not) reported while the fsync
 * covering it has not returned.
 *
 * Once `holding`, every fsync is held until the test lets it go (or fails it); the real fsync
 * runs when let go. Before that (the test's setup) fsyncs pass straight through.
 */
export class HeldFsyncs {
  holding = false;
  readonly started: Array<{ release: () => void; fail: (err: Error) => void }> = [];
  readonly #arrivals: Array<() => void> = [];

  readonly hook = (fsync: () => Promise<void>): Promise<void> =>
    !this.holding
      ? fsync()
      : new Promise<void>((resolve, reject) => {
          this.started.push({ release: () => void fsync().then(resolve, reject), fail: reject });
          this.#arrivals.splice(0).forEach((notify) => notify());
        });

  /** Resolves once `n` fsyncs have started in all. */
  async startedCount(n: number): Promise<void> {
    while (this.started.length < n) await new Promise<void>((resolve) => this.#arrivals.push(resolve));
  }
}

/** Several turns of the event loop: what a released write would do in reaction is done by then. */
export async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Whether `promise` has settled after several turns of the event loop (it would have by then). */
export async function settledYet(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await turns();
  return settled;
}
