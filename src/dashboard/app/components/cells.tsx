import type { Translate } from '../i18n.js';
import type { CellState, Checkpoint, ColumnCell, ColumnInfo, EventRow } from '../types.js';

const ICONS: Record<CellState, string> = {
  success: '✓',
  error: '✗',
  skipped: '⚠',
  processing: '⟳',
  not_run: '·',
  not_applicable: '—',
};

/** The tooltip of a cell: its state and, for skips, which flag (or dependency) caused them. */
export function cellTitle(t: Translate, cell: ColumnCell, checkpoints: Checkpoint[]): string {
  const parts: string[] = [t(`cell_${cell.state}` as const)];
  for (const checkpoint of checkpoints) {
    if (!cell.stages.includes(checkpoint.stage) || !checkpoint.skipReason) continue;
    parts.push(`${checkpoint.stage}: ${skipText(t, checkpoint)}`);
  }
  return parts.join(' — ');
}

export function skipText(t: Translate, checkpoint: Checkpoint): string {
  const reason = checkpoint.skipReason;
  if (!reason) return '';
  if (reason.kind === 'flag') return `${t('skippedByFlag')} ${reason.flag}=${String(reason.value)}`;
  if (reason.kind === 'dependency') return `${t('skippedByDependency')} ${reason.stage} (${reason.status})`;
  return `${t('skippedByCondition')} ${reason.detail}`;
}

interface StageCellProps {
  t: Translate;
  event: EventRow;
  column: ColumnInfo;
  onOpen: (eventId: number, columnKey: string) => void;
}

export function StageCell({ t, event, column, onOpen }: StageCellProps) {
  const columnKey = column.key;
  const cell: ColumnCell = event.columns[columnKey] ?? { state: 'not_run', stages: [] };
  const title = cellTitle(t, cell, event.checkpoints);
  return (
    <td class="stage-cell" data-column={columnKey} data-label={column.label}>
      <button
        type="button"
        class={`cell cell-${cell.state}`}
        title={title}
        aria-label={`${column.label}: ${title}`}
        data-state={cell.state}
        onClick={() => onOpen(event.id, columnKey)}
      >
        {ICONS[cell.state]}
      </button>
    </td>
  );
}
