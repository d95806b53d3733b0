import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { useSession } from '../context.js';
import { stageLabel } from '../labels.js';
import type { Metrics } from '../types.js';

type Notice = (message: string, isError?: boolean) => void;

export function MetricsView({ onNotice }: { onNotice: Notice }) {
  const { t, formats, config, language } = useSession();
  const [metrics, setMetrics] = useState<Metrics | null>(null);
  useEffect(() => {
    const since = new Date(Date.now() - 24 * 3600_000).toISOString();
    api
      .metrics(since)
      .then(setMetrics)
      .catch((error: unknown) => onNotice(error instanceof Error ? error.message : String(error), true));
  }, []);
  if (!metrics) return <p class="muted">{t('loading')}</p>;
  const peak = Math.max(1, ...metrics.throughput.map((bucket) => bucket.received));
  return (
    <div class="metrics" data-testid="metrics">
      <h2>{t('lastHours')}</h2>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th>{t('stageCol')}</th>
              <th>{t('total')}</th>
              <th>{t('successRate')}</th>
              <th>{t('p50')}</th>
              <th>{t('p95')}</th>
            </tr>
          </thead>
          <tbody>
            {metrics.stages.map((stage) => (
              <tr key={stage.stage}>
                <td title={stage.stage}>{stageLabel(config, language, stage.stage, null)}</td>
                <td>{stage.total}</td>
                <td class="rate">
                  <meter min={0} max={1} low={0.8} high={0.95} optimum={1} value={stage.successRate ?? 0} />{' '}
                  {formats.percent(stage.successRate)}
                </td>
                <td>{formats.duration(stage.p50Ms)}</td>
                <td>{formats.duration(stage.p95Ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>{t('throughput')}</h2>
      <ul class="throughput">
        {metrics.throughput.map((bucket) => (
          <li key={bucket.at}>
            <span class="muted small">{formats.shortDateTime(bucket.at)}</span>
            <progress max={peak} value={bucket.received} />
            <span class="small">
              {t('received')} {bucket.received} · {t('succeeded')} {bucket.succeeded} · {t('failed')} {bucket.failed}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
