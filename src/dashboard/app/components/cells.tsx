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

/** A planned skip (the condition said it does not apply): neutral, like "not applicable". */
const PLANNED_ICON = '○';

/** ✓ when another stage of the cell succeeded (nothing is owed: the rest did not apply), else ○. */
function plannedIcon(event: EventRow, cell: ColumnCell): string {
  const succeeded = event.checkpoints.some((checkpoint) => cell.stages.includes(checkpoint.stage) && checkpoint.status === 'success');
  return succeeded ? ICONS.success : PLANNED_ICON;
}

interface Words {
  t: Translate;
  config: DashboardConfig;
  language: Language;
}

/**
 * A skip nobody owes anything for: the pipeline's condition said the stage does not apply
 * (e.g. only a paid order is fulfilled), or it waited for a stage skipped that way. A flag
 * switched off, or a failed dependency, leaves work owed: those keep the warning.
 */
export function plannedSkip(checkpoint: Checkpoint, checkpoints: readonly Checkpoint[]): boolean {
  let current: Checkpoint | undefined = checkpoint;
  for (let depth = 0; current?.skipReason && depth < 50; depth++) {
    const reason: NonNullable<Checkpoint['skipReason']> = current.skipReason;
    if (reason.kind === 'condition') return true;
    if (reason.kind !== 'dependency' || reason.status !== 'skipped') return false;
    current = checkpoints.find((candidate) => candidate.stage === reason.stage);
  }
  return false;
}

/** A skipped cell whose every skip is planned (plannedSkip): a neutral mark, not a warning. */
export function cellPlanned(event: EventRow, cell: ColumnCell): boolean {
  if (cell.state !== 'skipped') return false;
  const skips = event.checkpoints.filter((checkpoint) => cell.stages.includes(checkpoint.stage) && checkpoint.status === 'skipped');
  return skips.length > 0 && skips.every((checkpoint) => plannedSkip(checkpoint, event.checkpoints));
}

/** The tooltip of a cell: its state and, for skips, which flag (or dependency) caused them. */
export function cellTitle(words: Words, event: EventRow, cell: ColumnCell): string {
  const parts: string[] = [cellPlanned(event, cell) ? words.t('cell_skipped_planned') : words.t(`cell_${cell.state}` as const)];
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
  // Said as the Flags page says it (off/on); the key, for whoever looks it up there or in the CLI.
  if (reason.kind === 'flag') return `${t(reason.value ? 'skippedFlagOn' : 'skippedFlagOff')} (${reason.flag})`;
  if (reason.kind === 'dependency') {
    const label = stageLabel(words.config, words.language, reason.stage, pipeline);
    if (reason.status === 'skipped') return `${t('skippedByDependencySkipped')} ${label}`;
    if (reason.status === 'error') return `${t('skippedByDependency')} ${label}`;
    return `${t('skippedByDependencyOther')} ${label} (${t(`cp_${reason.status}` as const)})`;
  }
  // The pipeline's own words, in this language when it gave them so (when() returning { es, en }).
  const detail = reason.texts?.[words.language] ?? (reason.detail === 'when() returned false' ? t('conditionFalse') : reason.detail);
  return `${t('skippedByCondition')} ${detail}`;
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
  const planned = cellPlanned(event, cell);
  const button = (
    <button
      type="button"
      class={`cell cell-${cell.state}${planned ? ' cell-planned' : ''}${chip ? ' chip' : ''}`}
      data-planned={planned ? 'true' : undefined}
      title={title}
      aria-label={`${label}: ${title}`}
      data-state={cell.state}
      data-column={columnKey}
      onClick={() => onOpen(event.id, columnKey)}
    >
      {chip && <span class="chip-label">{label}</span>}
      {planned ? plannedIcon(event, cell) : ICONS[cell.state]}
    </button>
  );
  if (chip) return button;
  return (
    <td class="stage-cell" data-column={columnKey} data-label={label}>
      {button}
    </td>
  );
}
