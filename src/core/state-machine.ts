/**
 * Entity state machines: which events may move an entity (a payment, an order) and where.
 * Pure decisions over the stored state; the engine does the reading and the compare-and-set.
 */
import { ConfigError } from './errors.js';
import type { EntityState, EventRecord, IgnoreReason } from './types.js';

export interface EntityStateMachine {
  /** Every state the entity may be in. */
  states: string[];
  /** Allowed moves: from state → states it may go to. The first event may set any state. */
  transitions: Record<string, string[]>;
  /** The state this event moves the entity to, or undefined if it does not touch the state. */
  targetState: (event: EventRecord) => string | undefined;
}

export type TransitionDecision =
  /** Write `target` with compare-and-set against `expectedState`. */
  | { kind: 'apply'; target: string; expectedState: string | null }
  /** This event already set the entity's state (a resumed run): nothing to write. */
  | { kind: 'already_applied' }
  /** The event does not touch the entity's state. */
  | { kind: 'none' }
  | { kind: 'ignore'; reason: IgnoreReason };

/**
 * Decides what `event` does to its entity, given the state stored now.
 * - older than the event that set the current state → stale_transition;
 * - a move the machine does not allow (including to the same state again, e.g. a second
 *   "succeeded" for one payment) → invalid_transition. A move is allowed when the declared
 *   transitions lead from the current state to the target, directly or through states whose
 *   events have not arrived yet: providers deliver out of order, and a refund that arrives
 *   before the "succeeded" it follows must not be lost (the late "succeeded" is then stale);
 * - the first event of an entity may set any declared state.
 */
export function decideTransition(machine: EntityStateMachine, event: EventRecord, current: EntityState | null): TransitionDecision {
  const target = machine.targetState(event);
  if (target === undefined) return { kind: 'none' };
  if (!machine.states.includes(target)) {
    return {
      kind: 'ignore',
      reason: { kind: 'invalid_transition', detail: `"${target}" is not a declared state of this entity` },
    };
  }
  if (current === null) return { kind: 'apply', target, expectedState: null };
  if (current.eventId === event.id) return { kind: 'already_applied' };
  if (event.occurredAt.getTime() < current.occurredAt.getTime()) {
    return {
      kind: 'ignore',
      reason: {
        kind: 'stale_transition',
        detail:
          `event occurred at ${event.occurredAt.toISOString()}, before event ${current.eventId} ` +
          `(${current.occurredAt.toISOString()}) set the entity to "${current.state}"; "${target}" is not applied`,
      },
    };
  }
  if (!reachable(machine, current.state, target)) {
    return {
      kind: 'ignore',
      reason: {
        kind: 'invalid_transition',
        detail: `"${current.state}" → "${target}" is not an allowed transition (the entity is "${current.state}" since event ${current.eventId})`,
      },
    };
  }
  return { kind: 'apply', target, expectedState: current.state };
}

/** True when the transitions lead from `from` to `to` in one or more steps. */
function reachable(machine: EntityStateMachine, from: string, to: string): boolean {
  const seen = new Set<string>();
  const queue = [...(machine.transitions[from] ?? [])];
  while (queue.length > 0) {
    const state = queue.shift()!;
    if (state === to) return true;
    if (seen.has(state)) continue;
    seen.add(state);
    queue.push(...(machine.transitions[state] ?? []));
  }
  return false;
}

/** Checks a machine's declaration once, at start; throws ConfigError naming the fault. */
export function validateStateMachine(pipelineName: string, machine: EntityStateMachine): void {
  const where = `pipeline "${pipelineName}" entity`;
  if (machine.states.length === 0) throw new ConfigError(`${where} declares no states`);
  const states = new Set(machine.states);
  for (const [from, tos] of Object.entries(machine.transitions)) {
    if (!states.has(from)) throw new ConfigError(`${where}: transition from undeclared state "${from}"`);
    for (const to of tos) {
      if (!states.has(to)) throw new ConfigError(`${where}: transition "${from}" → undeclared state "${to}"`);
    }
  }
}
