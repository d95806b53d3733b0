import { useEffect, useState } from 'preact/hooks';
import { useSession } from '../context.js';
import { pipelineLabel } from '../labels.js';
import { homeWords } from '../home-i18n.js';
import { SourceSelect } from './SourceSelect.js';
import { DayInput } from './DayInput.js';
import {
  EVENT_STATUSES,
  NO_FILTERS,
  STATUS_GROUPS,
  TRANSACTION_STATUSES,
  type EventFilters,
  type EventStatus,
  type StatusFilter,
  type TransactionStatus,
} from '../types.js';

/** Filters of the events view; free text is applied after a short pause in typing. */
export function Filters({ value, onChange }: { value: EventFilters; onChange: (filters: EventFilters) => void }) {
  const { t, config, language } = useSession();
  const [text, setText] = useState(value.q);
  // The URL (back button, shared link) can change the filters from outside this box.
  useEffect(() => setText(value.q), [value.q]);
  useEffect(() => {
    if (text === value.q) return;
    const timer = setTimeout(() => onChange({ ...value, q: text }), 300);
    return () => clearTimeout(timer);
  }, [text]);
  const set = (patch: Partial<EventFilters>) => onChange({ ...value, ...patch });
  const input = (change: Event) => (change.currentTarget as HTMLInputElement).value;
  return (
    <form class="filters" role="search" onSubmit={(submit) => (submit.preventDefault(), set({ q: text }))}>
      <input
        type="search"
        class="search"
        placeholder={t('searchHint')}
        aria-label={t('search')}
        title={t('search')}
        value={text}
        onInput={(change) => setText(input(change))}
      />
      {config.pipelines.length > 1 && (
        <label>
          {t('pipeline')}
          <select
            value={value.pipeline}
            data-testid="pipeline-filter"
            onChange={(change) => set({ pipeline: (change.currentTarget as HTMLSelectElement).value })}
          >
            <option value="">{t('allPipelines')}</option>
            {config.pipelines.map((pipeline) => (
              <option key={pipeline.name} value={pipeline.name}>
                {pipelineLabel(config, language, pipeline.name)}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        {t('filterStatus')}
        <select
          value={value.status}
          onChange={(change) => set({ status: (change.currentTarget as HTMLSelectElement).value as StatusFilter })}
        >
          <option value="">{t('any')}</option>
          {STATUS_GROUPS.filter((group) => group === value.status).map((group) => (
            <option key={group} value={group}>
              {group
                .split(',')
                .map((status) => t(`status_${status as EventStatus}` as const))
                .join(' + ')}
            </option>
          ))}
          {EVENT_STATUSES.map((status) => (
            <option key={status} value={status}>
              {t(`status_${status}` as const)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('filterTransaction')}
        <select
          value={value.transactionStatus}
          onChange={(change) => set({ transactionStatus: (change.currentTarget as HTMLSelectElement).value as TransactionStatus | '' })}
        >
          <option value="">{t('any')}</option>
          {TRANSACTION_STATUSES.map((status) => (
            <option key={status} value={status}>
              {t(status)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('filterSource')}
        <SourceSelect value={value.source} onChange={(source) => set({ source })} testId="source-filter" />
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={value.columnState === 'error'}
          onChange={(change) => set({ columnState: (change.currentTarget as HTMLInputElement).checked ? 'error' : '' })}
        />
        {t('filterAnyError')}
      </label>
      <label>
        {t('filterSince')}
        <DayInput value={value.since} onChange={(since) => set({ since })} testId="filter-since" />
      </label>
      <label>
        {t('filterUntil')}
        <DayInput value={value.until} onChange={(until) => set({ until })} testId="filter-until" />
      </label>
      <FilterChips value={value} onChange={onChange} />
      <button type="button" class="small-button" onClick={() => (setText(''), onChange(NO_FILTERS))}>
        {t('clear')}
      </button>
    </form>
  );
}

/**
 * The filters the home's figures add (currency, handled, stages switched off, origin), which the
 * form has no control for: each shown while it applies, with a button that removes it.
 */
function FilterChips({ value, onChange }: { value: EventFilters; onChange: (filters: EventFilters) => void }) {
  const { language } = useSession();
  const words = homeWords(language);
  const chips: Array<[string, string, Partial<EventFilters>]> = [];
  if (value.currency) chips.push(['currency', words('filterCurrency', { currency: value.currency }), { currency: '' }]);
  if (value.handled) chips.push(['handled', words(value.handled === 'true' ? 'filterHandled' : 'filterNotHandled'), { handled: '' }]);
  if (value.stagesOff) {
    chips.push(['stagesOff', words(value.stagesOff === 'true' ? 'filterStagesOff' : 'filterAllStagesRan'), { stagesOff: '' }]);
  }
  if (value.origin)
    chips.push(['origin', words(value.origin === 'reconciliation' ? 'filterRecovered' : 'filterByWebhook'), { origin: '' }]);
  return (
    <>
      {chips.map(([key, label, patch]) => (
        <span key={key} class="filter-chip" data-testid={`filter-chip-${key}`}>
          {label}
          <button
            type="button"
            class="link"
            aria-label={`${words('filterRemove')}: ${label}`}
            onClick={() => onChange({ ...value, ...patch })}
          >
            ×
          </button>
        </span>
      ))}
    </>
  );
}
