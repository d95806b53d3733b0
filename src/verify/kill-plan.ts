/**
 * Where `webpig verify` kills its worker: a deterministic plan per run from a seed, so a run
 * that found a duplicate can be replayed with the same `--seed`.
 */

export interface KillPlan {
  /** The worker SIGKILLs itself at the n-th failpoint it reaches (stage boundaries, event finish). */
  afterHits: number;
  /**
   * Instead of at the boundary, kill this many ms after the next stage's effect has started
   * (`<stage>:before-run`), or when a stage's effect ends first (`<stage>:after-run`, before its
   * outcome is written): a crash in the middle of the effect. null: at the boundary itself.
   */
  midStageDelayMs: number | null;
}

/** mulberry32: a small, well-known seeded generator (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The plan of the `run`-th killed worker: about half at a boundary, half mid-stage. `maxHits`
 * bounds how far into the work the kill may land (the failpoints a run would reach).
 */
export function killPlan(seed: number, run: number, maxHits: number): KillPlan {
  const random = seededRandom(seed * 7_919 + run);
  const afterHits = 1 + Math.floor(random() * Math.max(1, maxHits));
  const midStage = random() < 0.5;
  // Up to 300 ms into the stage: long enough to land after a first call has been answered
  // (a fresh process pays for its first connection), short enough to land inside most stages.
  return { afterHits, midStageDelayMs: midStage ? Math.floor(random() * 300) : null };
}

export function parseKillPlan(text: string | undefined): KillPlan | null {
  if (!text) return null;
  const plan = JSON.parse(text) as Partial<KillPlan>;
  if (typeof plan.afterHits !== 'number' || plan.afterHits < 1) throw new Error(`bad kill plan: ${text}`);
  return { afterHits: plan.afterHits, midStageDelayMs: typeof plan.midStageDelayMs === 'number' ? plan.midStageDelayMs : null };
}

/**
 * The failpoint a verify worker runs with: counts the points it reaches and SIGKILLs its own
 * process where the plan says — at once, or `midStageDelayMs` after a stage's effect began.
 */
export function killingFailpoint(plan: KillPlan, kill: () => void = () => process.kill(process.pid, 'SIGKILL')): (name: string) => void {
  let hits = 0;
  let state: 'counting' | 'in-stage' | 'done' = 'counting';
  return (name) => {
    hits += 1;
    if (state === 'done' || hits < plan.afterHits) return;
    if (state === 'in-stage') {
      // The effect ran faster than the delay: kill before its outcome is written, the window
      // where an effect has happened and webpig does not know it yet.
      if (name.endsWith(':after-run')) {
        state = 'done';
        kill();
      }
      return;
    }
    if (plan.midStageDelayMs === null) {
      state = 'done';
      kill();
      return;
    }
    if (!name.endsWith(':before-run')) return; // wait for the next effect to begin
    state = 'in-stage';
    setTimeout(() => {
      if (state !== 'in-stage') return;
      state = 'done';
      kill();
    }, plan.midStageDelayMs);
  };
}
