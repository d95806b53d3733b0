/** The entity gate (ARCHITECTURE.md, section 3): before any stage, once per event. */
import { StoreError } from '../core/errors.js';
import type { PipelineDefinition } from '../core/pipeline.js';
import { decideTransition } from '../core/state-machine.js';
import type { EventRecord, IgnoreReason } from '../core/types.js';
import type { WorkerStore } from '../store/store-roles.js';
import { userCode } from './pipeline-code.js';

/**
 * Checks the event against its entity's state and, if it is a valid and newer move, writes
 * the new state (compare-and-set) before any stage runs. Returns the reason when it must be
 * ignored. A lost compare-and-set means someone else moved the entity in between: re-read
 * and decide again.
 */
export async function applyEntityTransition(
  store: WorkerStore,
  pipeline: PipelineDefinition,
  event: EventRecord,
  now: () => Date,
): Promise<IgnoreReason | null> {
  const machine = pipeline.entity!;
  const entityKey = event.entityKey!;
  for (let round = 0; round < 5; round++) {
    const current = await store.getEntityState(entityKey);
    const decision = userCode(`pipeline "${pipeline.name}" entity targetState()`, () => decideTransition(machine, event, current));
    if (decision.kind === 'ignore') return decision.reason;
    if (decision.kind !== 'apply') return null;
    const written = await store.setEntityState({
      entityKey,
      state: decision.target,
      eventId: event.id,
      occurredAt: event.occurredAt,
      expectedState: decision.expectedState,
      now: now(),
    });
    if (written) return null;
  }
  throw new StoreError('ENTITY_CONTENTION', `entity "${entityKey}" kept changing while event ${event.id} tried to move it`);
}
