import { useSession } from '../context.js';
import type { Language, Translate } from '../i18n.js';
import { columnLabel, stageLabel } from '../labels.js';
import type { CellState, Checkpoint, ColumnCell, ColumnInfo, DashboardConfig, EventRow } from '../types.js';

const ICONS: Record<CellState, string> = {
  success: '✓',
  error: '✗',
  skipped: '⚠',
  processing: '⟳',
  not_run: '·',
  not_applicable: '—',
};

interface Words {
  t: Translate;
  config: DashboardConfig;
  language: Language;
}

/** The tooltip of a cell: its state and, for skips, which flag (or dependency) caused them. */
export function cellTitle(words: Words, event: EventRow, cell: ColumnCell): string {
  const parts: string[] = [words.t(`cell_${cell.state}` as const)];
  for (const checkpoint of event.checkpoints) {
    if (!cell.stages.includes(checkpoint.stage) || !checkpoint.skipReason) continue;
    parts.push(
      `${stageLabel(words.config, words.language, checkpoint.stage, event.pipeline)}: ${skipText(words, checkpoint, event.pipeline)}`,
    );
  }
  return parts.join(' — ');
}

export function skipText(words: Words, checkpoint: Checkpoint, pipeline: string | null): string {
  const { t } = words;
  const reason = checkpoint.skipReason;
  if (!reason) return '';
  if (reason.kind === 'flag') return `${t('skippedByFlag')} ${reason.flag}=${String(reason.value)}`;
  if (reason.kind === 'dependency') {
    return `${t('skippedByDependency')} ${stageLabel(words.config, words.language, reason.stage, pipeline)} (${t(`cp_${reason.status}` as const)})`;
  }
  return `${t('skippedByCondition')} ${reason.detail}`;
}

interface StageCellProps {
  t: Translate;
  event: EventRow;
  column: ColumnInfo;
  onOpen: (eventId: number, columnKey: string) => void;
  /** Inside the "Stages" cell of a mixed table: the column's label beside its icon. */
  chip?: boolean;
}

export function StageCell({ t, event, column, onOpen, chip = false }: StageCellProps) {
  const { config, language } = useSession();
  const columnKey = column.key;
  const cell: ColumnCell = event.columns[columnKey] ?? { state: 'not_run', stages: [] };
  const title = cellTitle({ t, config, language }, event, cell);
  const label = columnLabel(language, column);
  const button = (
    <button
      type="button"
      class={`cell cell-${cell.state}${chip ? ' chip' : ''}`}
      title={title}
      aria-label={`${label}: ${title}`}
      data-state={cell.state}
      data-column={columnKey}
      onClick={() => onOpen(event.id, columnKey)}
    >
      {chip && <span class="chip-label">{label}</span>}
      {ICONS[cell.state]}
    </button>
  );
  if (chip) return button;
  return (
    <td class="stage-cell" data-column={columnKey} data-label={label}>
      {button}
    </td>
  );
}
