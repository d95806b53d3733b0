import type { ColumnConfig } from '../../config/types.js';
import { stageRetryPolicy, type PipelineDefinition, type StageLabel } from '../../core/pipeline.js';
import type { z } from 'zod';
import { eventFailure } from '../../core/failure.js';
import type { CheckpointRecord, EventRecord } from '../../core/types.js';
import { cellState, type columnCell as columnCellSchema, type eventRow } from '../../core/wire/events.js';
import type { pipelineInfo } from '../../core/wire/session.js';

/** How the API shows events: rows with one cell per dashboard column (the reply schemas: core/wire/events.ts). */

export type ColumnState = z.output<typeof cellState>;
export const COLUMN_STATES: readonly ColumnState[] = cellState.options;
export type ColumnCell = z.output<typeof columnCellSchema>;

export interface ResolvedColumn {
  key: string;
  /** As configured: one text, or texts by language (the page picks its language's). */
  label: StageLabel;
  stages: string[];
}

/**
 * Columns with their stages, gathered from every pipeline's `stage.column`. Configured
 * columns keep their order and labels; a column used by a stage but not configured is
 * appended with its key as label.
 */
export function resolveColumns(columns: ColumnConfig[] | undefined, pipelines: PipelineDefinition[]): ResolvedColumn[] {
  const resolved = new Map<string, ResolvedColumn>();
  for (const column of columns ?? []) resolved.set(column.key, { key: column.key, label: column.label, stages: [] });
  for (const pipeline of pipelines) {
    for (const stage of pipeline.stages) {
      if (!stage.column) continue;
      let column = resolved.get(stage.column);
      if (!column) {
        column = { key: stage.column, label: stage.column, stages: [] };
        resolved.set(stage.column, column);
      }
      if (!column.stages.includes(stage.name)) column.stages.push(stage.name);
    }
  }
  return [...resolved.values()];
}

/** A pipeline as the dashboard draws it: its columns (in the configured order) and stages. */
export type PipelineView = z.output<typeof pipelineInfo>;

export function pipelineViews(columns: ResolvedColumn[], pipelines: PipelineDefinition[]): PipelineView[] {
  return pipelines.map((pipeline) => {
    const own = new Set(pipeline.stages.map((stage) => stage.column).filter((column) => column !== undefined));
    return {
      name: pipeline.name,
      label: pipeline.label ?? null,
      columns: columns.filter((column) => own.has(column.key)).map((column) => column.key),
      stages: pipeline.stages.map((stage) => ({
        name: stage.name,
        label: stage.label ?? null,
        column: stage.column ?? null,
        dependsOn: stage.dependsOn ?? [],
        maxAttempts: (stageRetryPolicy(pipeline, stage).delaysMs?.length ?? 0) + 1,
        flag: stage.flag ?? null,
      })),
    };
  });
}

/** Error beats processing beats skipped beats success: an error is never hidden behind a warning. */
const PRECEDENCE: Array<[CheckpointRecord['status'], ColumnState]> = [
  ['error', 'error'],
  ['processing', 'processing'],
  ['skipped', 'skipped'],
  ['success', 'success'],
];

export function columnCell(event: EventRecord, checkpoints: CheckpointRecord[], column: ResolvedColumn): ColumnCell {
  if (event.status === 'ignored') return { state: 'not_applicable', stages: column.stages };
  const statuses = new Set(checkpoints.filter((c) => column.stages.includes(c.stage)).map((c) => c.status));
  for (const [status, state] of PRECEDENCE) if (statuses.has(status)) return { state, stages: column.stages };
  return { state: 'not_run', stages: column.stages };
}

export type EventRow = z.output<typeof eventRow>;

/** Never includes rawBody or payload: the raw view is served, redacted, by GET /api/events/:id. */
export function toEventRow(event: EventRecord, checkpoints: CheckpointRecord[], columns: ResolvedColumn[]): EventRow {
  const cells: Record<string, ColumnCell> = {};
  for (const column of columns) cells[column.key] = columnCell(event, checkpoints, column);
  return {
    id: event.id,
    source: event.source,
    providerEventId: event.providerEventId,
    entityKey: event.entityKey,
    type: event.type,
    transactionStatus: event.transactionStatus,
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
    status: event.status,
    pipeline: event.pipeline,
    attempts: event.attempts,
    manualRetries: event.manualRetries,
    nextAttemptAt: event.nextAttemptAt,
    lastError: event.lastError,
    ignoreReason: event.ignoreReason,
    failure: eventFailure(event, checkpoints),
    summary: event.summary,
    updatedAt: event.updatedAt,
    origin: event.origin,
    handled: event.handled ?? null,
    columns: cells,
    checkpoints,
  };
}
