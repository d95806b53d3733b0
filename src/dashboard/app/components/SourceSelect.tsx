import { useEffect, useState } from 'preact/hooks';
import { useSession } from '../context.js';
import { sourceDisplayName } from '../source-names.js';

interface SourceSelectProps {
  /** The source chosen ('' = all). */
  value: string;
  onChange: (source: string) => void;
  testId: string;
}

/**
 * The source filter: a choice among the configured sources and "all sources", so a name typed
 * wrong can no longer turn the list into the server's refusal. A server not told its sources
 * (`sources: null` in /api/config, any name accepted) gets the name typed instead.
 */
export function SourceSelect({ value, onChange, testId }: SourceSelectProps) {
  const { t, config } = useSession();
  if (config.sources === null) return <SourceText value={value} onChange={onChange} testId={testId} />;
  // A source no longer configured (in a link saved before) stays shown: it is what filters the list.
  const names = value && !config.sources.includes(value) ? [...config.sources, value] : config.sources;
  return (
    <select
      value={value}
      title={value ? sourceDisplayName(value, config.sourceKinds) : t('allSources')}
      data-testid={testId}
      onChange={(change) => onChange((change.currentTarget as HTMLSelectElement).value)}
    >
      <option value="">{t('allSources')}</option>
      {names.map((name) => (
        <option key={name} value={name}>
          {sourceDisplayName(name, config.sourceKinds)}
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
