import { useSession } from '../context.js';
import { flagLabel } from '../labels.js';
import { alertHref, pathForEvent } from '../url.js';

/** Flags by key, for their descriptions (a flag no stage names is called by its description). */
export type FlagDescriptions = ReadonlyMap<string, string>;

/** The address of a flag on the flags view: that flag, scrolled to and outlined. */
export function flagHref(key: string): string {
  return `#/flags/${encodeURIComponent(key)}`;
}

/** A flag as people name it, linking to it on the flags view; its key small beside it for operators. */
export function FlagName({ flagKey, descriptions, title }: { flagKey: string; descriptions: FlagDescriptions; title?: string }) {
  const { config, language } = useSession();
  const name = flagLabel(config, language, flagKey) ?? descriptions.get(flagKey) ?? flagKey;
  return (
    <>
      <a href={flagHref(flagKey)} title={title} data-testid="audit-subject-flag">
        {name}
      </a>
      {name !== flagKey && (
        <>
          {' '}
          <code class="flag-key">{flagKey}</code>
        </>
      )}
    </>
  );
}

/** The flag a `flag.set` entry is about: `flag:KEY`, or the bare key `webpig flags set` wrote before it wrote `flag:KEY` too. */
function flagOf(action: string, target: string): string | null {
  if (target.startsWith('flag:')) return target.slice('flag:'.length);
  return action === 'flag.set' ? target : null;
}

interface AuditSubjectProps {
  action: string;
  target: string;
  descriptions: FlagDescriptions;
  onOpenEvent: (eventId: number) => void;
}

/**
 * What an audit entry is about, as a link to it where the page shows it: an event opens its
 * details, an alert its place on the alerts view, a flag its place on the flags view. Anything
 * else (tokens) stays its code.
 */
export function AuditSubject({ action, target, descriptions, onOpenEvent }: AuditSubjectProps) {
  const { t } = useSession();
  const event = /^event:(\d{1,15})$/.exec(target);
  if (event) {
    const eventId = Number(event[1]);
    return (
      <a
        href={pathForEvent(eventId)}
        title={target}
        data-testid="audit-subject-event"
        onClick={(click) => {
          // A plain click opens the panel in place; ctrl/middle-click keeps the new tab.
          if (click.ctrlKey || click.metaKey || click.shiftKey || click.button !== 0) return;
          click.preventDefault();
          onOpenEvent(eventId);
        }}
      >
        {t('auditEventLink')} #{eventId}
      </a>
    );
  }
  const alert = /^alert:(\d{1,15})$/.exec(target);
  if (alert) {
    const alertId = Number(alert[1]);
    return (
      <a href={alertHref(alertId)} title={target} data-testid="audit-subject-alert">
        {t('auditAlertLink')} #{alertId}
      </a>
    );
  }
  const flag = flagOf(action, target);
  if (flag) {
    return <FlagName flagKey={flag} descriptions={descriptions} title={target} />;
  }
  return <code>{target}</code>;
}
