import { useEffect, useState } from 'preact/hooks';
import { useSession } from '../context.js';
import { homeWords } from '../home-i18n.js';
import { sourceDisplayName } from '../source-names.js';

interface SourceSelectProps {
  /** The source chosen ('' = all). */
  value: string;
  onChange: (source: string) => void;
  testId: string;
}

/**
 * The source filter: a choice among the configured sources and "all sources", so a name typed
 * wrong can no longer turn the list into the server's refusal. A source removed from the config
 * that still has stored events (`removedSources`) is offered after them, said to be no longer
 * configured, as the home's deliveries card says it. A server not told its sources
 * (`sources: null` in /api/config, any name accepted) gets the name typed instead.
 */
export function SourceSelect({ value, onChange, testId }: SourceSelectProps) {
  const { t, config, language } = useSession();
  const configured = config.sources;
  if (configured === null) return <SourceText value={value} onChange={onChange} testId={testId} />;
  const removed = config.removedSources.filter((name) => !configured.includes(name));
  // A name in a link saved before, with no events left, stays shown: it is what filters the list.
  const saved = value && !configured.includes(value) && !removed.includes(value) ? [value] : [];
  const removedMark = homeWords(language)('homeDeliveriesRemoved');
  const label = (name: string) =>
    removed.includes(name)
      ? `${sourceDisplayName(name, config.sourceKinds)} (${removedMark})`
      : sourceDisplayName(name, config.sourceKinds);
  return (
    <select
      value={value}
      title={value ? label(value) : t('allSources')}
      data-testid={testId}
      onChange={(change) => onChange((change.currentTarget as HTMLSelectElement).value)}
    >
      <option value="">{t('allSources')}</option>
      {[...configured, ...removed, ...saved].map((name) => (
        <option key={name} value={name} data-configured={String(configured.includes(name))}>
          {label(name)}
        </option>
      ))}
    </select>
  );
}

/** What is typed stays while the list reloads (live updates re-render the form); applied on change. */
function SourceText({ value, onChange, testId }: SourceSelectProps) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const typed = (event: Event) => (event.currentTarget as HTMLInputElement).value;
  return (
    <input
      type="text"
      size={10}
      value={text}
      data-testid={testId}
      onInput={(input) => setText(typed(input))}
      onChange={(change) => onChange(typed(change).trim())}
    />
  );
}
