/**
 * What a retry or a re-run of an event will do, stage by stage, decided once. The preview an
 * operator confirms (API, CLI, dashboard) and the action that follows are both this plan: the
 * action resets exactly `plan.reset` and queues the event, and the runner then runs every stage
 * that is not `success` or `skipped`, in the order and with the checks this function mirrors
 * (runner.ts: done → dependency skipped → flag off → run). So the preview cannot promise
 * something the run does not do.
 *
 * Skip reasons are re-evaluated, never left false: a stage skipped because a dependency was
 * skipped is reset when that dependency is going to run again (the case: the invoice
 * flag turned back on and the invoice re-run, so accounting and DIAN run too).
 */
import type { PipelineDefinition, StageDefinition } from '../core/pipeline.js';
import type { CheckpointRecord, CheckpointStatus, SkipReason } from '../core/types.js';
import { stageOrder } from './stage-order.js';

/**
 * - `run`: the stage will be attempted (assuming the stages before it succeed);
 * - `skip`: it will be re-evaluated and skipped, for `skipReason` (a flag off now, a skipped dependency);
 * - `done`: it succeeded or was skipped before and will not run.
 */
export type PlannedAction = 'run' | 'skip' | 'done';

/**
 * Why a stage runs: `requested` (the stage the operator re-runs), `follows` (it was skipped
 * because of a stage that runs again), `not_done` (it failed, was interrupted, or never ran).
 */
export type RunCause = 'requested' | 'follows' | 'not_done';

export interface PlannedStage {
  stage: string;
  action: PlannedAction;
  /** The checkpoint's status now ('pending' when the stage has none). */
  current: CheckpointStatus;
  /** For `run`. */
  cause?: RunCause;
  /** For `skip`: the reason the runner will record. For `done` of a skipped stage: the old one. */
  skipReason?: SkipReason;
  /** For `run`: the stage has a when() condition, which may still skip it at run time. */
  conditional?: boolean;
}

export interface EventRunPlan {
  stages: PlannedStage[];
  /** Checkpoints the action sends back to `pending` before queueing the event. */
  reset: string[];
  /** How many stages will be attempted. */
  runCount: number;
}

/** What the plan reads of a stage definition. */
type PlanStage = Pick<StageDefinition, 'name' | 'dependsOn' | 'flag' | 'when'>;

const DONE: ReadonlySet<CheckpointStatus> = new Set(['success', 'skipped']);

/** The outcome the plan expects of a stage, assuming what runs succeeds. */
type Expected = 'success' | 'skipped';

/**
 * Plans a retry (`rerun` null: resume from the checkpoints) or a re-run of `rerun` and what it
 * blocked. `flagValue` answers with the flag's value now (a flag the store lacks counts as on,
 * as in the runner). Without a pipeline (it is no longer configured) the plan is the checkpoints
 * as they are: those not done run.
 */
export function planEventRun(
  pipeline: PipelineDefinition | undefined,
  checkpoints: readonly CheckpointRecord[],
  flagValue: (key: string) => boolean,
  rerun: string | null = null,
): EventRunPlan {
  const byStage = new Map(checkpoints.map((c) => [c.stage, c]));
  const reset = new Set<string>(rerun ? [rerun] : []);
  const expected = new Map<string, Expected>();
  const stages: PlannedStage[] = [];
  const definitions: readonly PlanStage[] = pipeline ? stageOrder(pipeline.stages) : checkpoints.map((c) => ({ name: c.stage }));

  for (const stage of definitions) {
    const checkpoint = byStage.get(stage.name);
    const current = checkpoint?.status ?? 'pending';
    const reason = checkpoint?.skipReason ?? null;
    if (current === 'skipped' && reason?.kind === 'dependency' && isEvaluatedAgain(reason.stage, stages)) {
      reset.add(stage.name);
    }
    const requested = reset.has(stage.name);
    if (!requested && DONE.has(current)) {
      expected.set(stage.name, current as Expected);
      stages.push({ stage: stage.name, action: 'done', current, ...(reason ? { skipReason: reason } : {}) });
      continue;
    }
    const skippedDep = (stage.dependsOn ?? []).find((dep) => expected.get(dep) === 'skipped');
    const flagOff = stage.flag !== undefined && !flagValue(stage.flag);
    if (skippedDep !== undefined || flagOff) {
      const skipReason: SkipReason =
        skippedDep !== undefined
          ? { kind: 'dependency', stage: skippedDep, status: 'skipped' }
          : { kind: 'flag', flag: stage.flag!, value: false };
      expected.set(stage.name, 'skipped');
      stages.push({ stage: stage.name, action: 'skip', current, skipReason });
      continue;
    }
    expected.set(stage.name, 'success');
    const cause: RunCause = stage.name === rerun ? 'requested' : requested ? 'follows' : 'not_done';
    stages.push({ stage: stage.name, action: 'run', current, cause, ...(stage.when ? { conditional: true } : {}) });
  }
  return {
    stages,
    // Only checkpoints that are done need a reset; the runner runs the others anyway.
    reset: stages.filter((s) => reset.has(s.stage) && (DONE.has(s.current) || s.stage === rerun)).map((s) => s.stage),
    runCount: stages.filter((s) => s.action === 'run').length,
  };
}

/** True when `stage` is planned to be evaluated again (run, or skipped anew for a reason true now). */
function isEvaluatedAgain(stage: string, planned: readonly PlannedStage[]): boolean {
  const entry = planned.find((s) => s.stage === stage);
  return entry !== undefined && entry.action !== 'done';
}
