import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { useSession } from '../context.js';
import type { MessageKey } from '../i18n.js';
import { dayStartIn } from '../format.js';
import { DayInput } from './DayInput.js';
import { AuditSubject, FlagName, type FlagDescriptions } from './AuditSubject.js';
import { flagDescription, flagLabel } from '../labels.js';
import type { AuditEntryView, FlagChange, HistoryFilters } from '../types.js';
import { failureText } from '../failure-text.js';
import { auditTargetOf } from '../audit-subject-filter.js';

type Notice = (message: string, isError?: boolean) => void;
type Log = 'audit' | 'flags';

const ACTIONS = [
  'alert.ack',
  'alert.mute',
  'flag.set',
  'event.retry',
  'event.handled',
  'stage.rerun',
  'token.create',
  'token.revoke',
] as const;

/**
 * Who did what, to what, when: the audit log (acknowledged and muted alerts, flag changes,
 * retries, re-runs, tokens) and every flag's history, each with filters the API also takes.
 */
export function AuditView({ onNotice, onOpenEvent }: { onNotice: Notice; onOpenEvent: (eventId: number) => void }) {
  const { t, formats, can, config, language } = useSession();
  const mayAudit = can('audit:read');
  const [log, setLog] = useState<Log>(mayAudit ? 'audit' : 'flags');
  const [draft, setDraft] = useState<HistoryFilters>({});
  const [filters, setFilters] = useState<HistoryFilters>({});
  const [entries, setEntries] = useState<AuditEntryView[] | null>(null);
  const [changes, setChanges] = useState<FlagChange[] | null>(null);
  const [descriptions, setDescriptions] = useState<FlagDescriptions>(new Map());
  useEffect(() => {
    api
      .flags()
      .then((page) => setDescriptions(new Map(page.items.map((flag) => [flag.key, flagDescription(flag, language)]))))
      .catch(() => setDescriptions(new Map()));
  }, [language]);
  const flagOption = (key: string) => `${flagLabel(config, language, key) ?? descriptions.get(key) ?? key} (${key})`;
  useEffect(() => {
    // Days start in the dashboard's time zone, as the events list's do, not the browser's.
    const range = { since: dayStartIn(filters.since ?? '', config.timeZone), until: dayStartIn(filters.until ?? '', config.timeZone, 1) };
    const fail = (error: unknown) => onNotice(failureText(t, error), true);
    if (log === 'audit') {
      setEntries(null);
      api
        .audit({ action: filters.what, actor: filters.actor, target: auditTargetOf(filters.subject ?? ''), ...range })
        .then((page) => setEntries(page.items))
        .catch(fail);
    } else {
      setChanges(null);
      api
        .allFlagHistory({ key: filters.what, actor: filters.actor, ...range })
        .then((page) => setChanges(page.items))
        .catch(fail);
    }
  }, [log, filters]);
  const field = (name: keyof HistoryFilters) => ({
    value: draft[name] ?? '',
    onInput: (input: Event) => setDraft({ ...draft, [name]: (input.currentTarget as HTMLInputElement).value }),
  });
  const switchTo = (next: Log) => {
    setLog(next);
    setDraft({});
    setFilters({});
  };
  // "Nothing matches these filters" with no filter set blamed filters nobody chose: the log is empty.
  const filtered = Object.values(filters).some((value) => value !== undefined && value !== '');
  const actionLabel = (action: string) => ((ACTIONS as readonly string[]).includes(action) ? t(`action_${action}` as MessageKey) : action);
  return (
    <section class="audit" data-testid="audit-view">
      <div class="audit-tabs">
        {mayAudit && (
          <button
            type="button"
            class={log === 'audit' ? 'tab active' : 'tab'}
            data-testid="audit-log-tab"
            onClick={() => switchTo('audit')}
          >
            {t('auditLog')}
          </button>
        )}
        <button
          type="button"
          class={log === 'flags' ? 'tab active' : 'tab'}
          data-testid="flag-history-tab"
          onClick={() => switchTo('flags')}
        >
          {t('flagHistoryAll')}
        </button>
      </div>
      {!mayAudit && <p class="muted small">{t('auditNotAllowed')}</p>}
      <form
        class="audit-filters"
        data-testid="audit-filters"
        onSubmit={(submit) => {
          submit.preventDefault();
          setFilters(draft);
        }}
      >
        <label>
          {t('auditWho')}
          <input type="email" {...field('actor')} data-testid="audit-actor" />
        </label>
        <label>
          {log === 'audit' ? t('auditWhat') : t('auditFlag')}
          <select
            value={draft.what ?? ''}
            data-testid="audit-what"
            onChange={(change) => setDraft({ ...draft, what: (change.currentTarget as HTMLSelectElement).value || undefined })}
          >
            <option value="">{t('auditAny')}</option>
            {(log === 'audit' ? ACTIONS : [...descriptions.keys()]).map((value) => (
              <option key={value} value={value}>
                {log === 'audit' ? actionLabel(value) : flagOption(value)}
              </option>
            ))}
          </select>
        </label>
        {log === 'audit' && (
          <label>
            {t('auditSubject')}
            <input
              type="text"
              placeholder={t('auditSubjectHint')}
              title={t('auditSubjectHelp')}
              {...field('subject')}
              data-testid="audit-subject"
            />
          </label>
        )}
        <label>
          {t('auditSince')}
          <DayInput
            value={draft.since ?? ''}
            onChange={(day) => setDraft((current) => ({ ...current, since: day || undefined }))}
            testId="audit-since"
          />
        </label>
        <label>
          {t('auditUntil')}
          <DayInput
            value={draft.until ?? ''}
            onChange={(day) => setDraft((current) => ({ ...current, until: day || undefined }))}
            testId="audit-until"
          />
        </label>
        <div class="audit-buttons">
          <button type="submit" class="primary" data-testid="audit-apply">
            {t('auditApply')}
          </button>
          <button type="button" onClick={() => switchTo(log)}>
            {t('auditClear')}
          </button>
        </div>
      </form>
      {log === 'audit' && (
        <AuditEntries entries={entries} filtered={filtered} label={actionLabel} descriptions={descriptions} onOpenEvent={onOpenEvent} />
      )}
      {log === 'flags' && (
        <>
          {!changes && <p class="muted">{t('loading')}</p>}
          {changes?.length === 0 && (
            <p class="muted" data-testid="audit-nothing">
              {t(filtered ? 'auditNothing' : 'flagHistoryEmpty')}
            </p>
          )}
          {changes && changes.length > 0 && (
            <ul class="audit-list" data-testid="flag-history-list">
              {changes.map((change) => (
                <li key={change.id} data-testid="audit-row">
                  <span class="muted small">{formats.dateTime(change.at)}</span> <strong>{change.actor}</strong> ·{' '}
                  <FlagName flagKey={change.key} descriptions={descriptions} />{' '}
                  {change.oldValue === null ? '' : `${change.oldValue ? t('flagOn') : t('flagOff')} → `}
                  {change.newValue ? t('flagOn') : t('flagOff')}
                  <div class="small">“{change.reason ?? t('noReason')}”</div>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

interface AuditEntriesProps {
  entries: AuditEntryView[] | null;
  /** Whether any filter is set: an empty answer then says nothing matches, else that nothing is recorded yet. */
  filtered: boolean;
  label: (action: string) => string;
  descriptions: FlagDescriptions;
  onOpenEvent: (eventId: number) => void;
}

function AuditEntries({ entries, filtered, label, descriptions, onOpenEvent }: AuditEntriesProps) {
  const { t, formats } = useSession();
  if (!entries) return <p class="muted">{t('loading')}</p>;
  if (entries.length === 0) {
    return (
      <p class="muted" data-testid="audit-nothing">
        {t(filtered ? 'auditNothing' : 'auditEmpty')}
      </p>
    );
  }
  return (
    <ul class="audit-list" data-testid="audit-list">
      {entries.map((entry) => (
        <li key={entry.id} data-testid="audit-row">
          <span class="muted small">{formats.dateTime(entry.at)}</span> <strong>{entry.actor}</strong> · {label(entry.action)} ·{' '}
          <AuditSubject action={entry.action} target={entry.target} descriptions={descriptions} onOpenEvent={onOpenEvent} />
          {typeof entry.details?.reason === 'string' && <div class="small">“{entry.details.reason}”</div>}
        </li>
      ))}
    </ul>
  );
}
