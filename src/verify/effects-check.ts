import pino from 'pino';
import type { PipelineDefinition, StageDefinition } from '../core/pipeline.js';
import type { CheckpointRecord, EventRecord, JsonValue } from '../core/types.js';
import { createStageContext, idempotencyKeyFor } from '../engine/stage-context.js';
import type { Store } from '../store/store.js';

/** What `webpig verify` found about one stage's effects, over every event it succeeded for. */
export interface StageEffects {
  pipeline: string;
  stage: string;
  /** Events whose checkpoint for this stage is `success`. */
  succeeded: number;
  /**
   * How the effects were checked: counted, looked up (existence only), not at all, or not needed
   * (a stage declared `effects: 'none'` has none).
   */
  method: 'countEffects' | 'reconcile' | 'none' | 'noEffects';
  exactlyOnce: number;
  missing: number;
  duplicated: number;
  /** A few event ids per problem, for `webpig events show`. */
  examples: { missing: number[]; duplicated: number[] };
}

const silent = pino({ level: 'silent' });
const LOOK_UP_TIMEOUT_MS = 30_000;

function methodOf(stage: StageDefinition): StageEffects['method'] {
  if (stage.effects === 'none') return 'noEffects';
  if (stage.countEffects) return 'countEffects';
  return stage.reconcile ? 'reconcile' : 'none';
}

/** Asks the external system, through the stage's own look-up, how often this event's effect exists. */
async function effectCount(store: Store, event: EventRecord, stage: StageDefinition, checkpoints: CheckpointRecord[]): Promise<number> {
  const outputs: Record<string, JsonValue | null> = {};
  for (const checkpoint of checkpoints) if (checkpoint.status === 'success') outputs[checkpoint.stage] = checkpoint.data;
  const { context } = createStageContext({
    store,
    event,
    stage: stage.name,
    summary: event.summary,
    outputs,
    idempotencyKey: idempotencyKeyFor(event, stage.name),
    attempt: checkpoints.find((c) => c.stage === stage.name)?.attempts ?? 1,
    signal: AbortSignal.timeout(LOOK_UP_TIMEOUT_MS),
    logger: silent,
    now: () => new Date(),
  });
  if (stage.countEffects) return stage.countEffects(context);
  if (stage.reconcile) return (await stage.reconcile(context)) === undefined ? 0 : 1;
  return 1;
}

/** Checks every stage of every pipeline against the events in the store. */
export async function checkEffects(store: Store, pipelines: readonly PipelineDefinition[]): Promise<StageEffects[]> {
  const results = new Map<string, StageEffects>();
  for (const pipeline of pipelines) {
    for (const stage of pipeline.stages) {
      results.set(`${pipeline.name}/${stage.name}`, {
        pipeline: pipeline.name,
        stage: stage.name,
        succeeded: 0,
        method: methodOf(stage),
        exactlyOnce: 0,
        missing: 0,
        duplicated: 0,
        examples: { missing: [], duplicated: [] },
      });
    }
  }
  let cursor: string | null = null;
  do {
    const page = await store.listEvents({}, { cursor, limit: 500 });
    const checkpointsByEvent = await store.getCheckpointsForEvents(page.items.map((e) => e.id));
    for (const event of page.items) {
      const pipeline = pipelines.find((p) => p.name === event.pipeline);
      if (!pipeline) continue;
      const checkpoints = checkpointsByEvent.get(event.id) ?? [];
      for (const stage of pipeline.stages) {
        if (checkpoints.find((c) => c.stage === stage.name)?.status !== 'success') continue;
        const result = results.get(`${pipeline.name}/${stage.name}`) as StageEffects;
        result.succeeded += 1;
        if (result.method === 'none' || result.method === 'noEffects') continue;
        const count = await effectCount(store, event, stage, checkpoints);
        if (count === 1) result.exactlyOnce += 1;
        else if (count < 1) {
          result.missing += 1;
          if (result.examples.missing.length < 5) result.examples.missing.push(event.id);
        } else {
          result.duplicated += 1;
          if (result.examples.duplicated.length < 5) result.examples.duplicated.push(event.id);
        }
      }
    }
    cursor = page.nextCursor;
  } while (cursor);
  return [...results.values()];
}
