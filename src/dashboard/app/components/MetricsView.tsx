import { Fragment } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { useSession } from '../context.js';
import { homeApi } from '../home-api.js';
import { homeWords, type HomeTranslate } from '../home-i18n.js';
import type { MetricsSeries, ThroughputHour } from '../home-types.js';
import { pipelineLabel, stageLabel } from '../labels.js';
import type { DashboardConfig } from '../types.js';
import { StageDurationChart } from './charts/StageDurationChart.js';
import { ThroughputChart } from './charts/ThroughputChart.js';
import { hourLabels, seconds } from './charts/time-axis.js';
import '../home.css';
import { failureText } from '../failure-text.js';

type Notice = (message: string, isError?: boolean) => void;
type StageStat = MetricsSeries['stages'][number];

/** Stages grouped by pipeline, in each pipeline's own order; stages of no known pipeline last. */
export function stagesInPipelineOrder<T extends { stage: string }>(
  config: DashboardConfig,
  stats: T[],
): Array<{ pipeline: string | null; stages: T[] }> {
  const left = new Map(stats.map((stat) => [stat.stage, stat]));
  const groups: Array<{ pipeline: string | null; stages: T[] }> = [];
  for (const pipeline of config.pipelines) {
    const stages = pipeline.stages.flatMap((stage) => {
      const stat = left.get(stage.name);
      left.delete(stage.name);
      return stat ? [stat] : [];
    });
    if (stages.length > 0) groups.push({ pipeline: pipeline.name, stages });
  }
  if (left.size > 0) groups.push({ pipeline: null, stages: [...left.values()].sort((a, b) => a.stage.localeCompare(b.stage)) });
  return groups;
}

/**
 * The last 24 hours as a finance person reads them: how many events came and what became of
 * them (the counts add up), how each stage is doing in pipeline order with its label, and how
 * long it usually takes in seconds or minutes. Charts (uPlot) with the same numbers as tables.
 */
export function MetricsView({ onNotice }: { onNotice: Notice }) {
  const { t, config, language, formats } = useSession();
  const words = homeWords(language);
  const [metrics, setMetrics] = useState<MetricsSeries | null>(null);
  useEffect(() => {
    homeApi
      .metrics()
      .then(setMetrics)
      .catch((error: unknown) => onNotice(failureText(t, error), true));
  }, []);
  const labelOf = useCallback((stage: string) => stageLabel(config, language, stage, null), [config, language]);
  if (!metrics) return <p class="muted">{words('metricsTitle')}…</p>;

  const duration = (ms: number | null) => (ms !== null && ms < 1000 ? words('lessThanASecond') : formats.duration(ms));
  const groups = stagesInPipelineOrder(config, metrics.stages);
  const durationGroups = stagesInPipelineOrder(config, metrics.stageDurations);
  const orderedDurations = durationGroups.flatMap((group) => group.stages);
  const thisHour = metrics.throughput[metrics.throughput.length - 1];
  const day = sumHours(metrics.throughput);
  const showPipelines = groups.length > 1;
  return (
    <div class="metrics" data-testid="metrics">
      {thisHour && (
        <p class="equation" data-testid="metrics-this-hour">
          <strong>{words('metricsLastHour', { hour: hourLabels(config.timeZone, language).hour(seconds(thisHour.at)) })}:</strong>{' '}
          {words('metricsEquation', { ...thisHour })}
        </p>
      )}
      <p class="equation" data-testid="metrics-day">
        <strong>{words('metricsDay')}:</strong> {words('metricsEquation', { ...day })}
      </p>
      <h2>{words('metricsPerHour')}</h2>
      <ThroughputChart hours={metrics.throughput} words={words} />
      <ThroughputTable hours={metrics.throughput} words={words} />

      <h2>{words('metricsStages')}</h2>
      {groups.length === 0 && <p class="muted">{words('metricsNoData')}</p>}
      {groups.length > 0 && (
        <div class="table-scroll">
          <table class="stage-metrics" data-testid="stage-metrics">
            <thead>
              <tr>
                <th scope="col">{words('metricsStage')}</th>
                <th scope="col">{words('metricsRan')}</th>
                <th scope="col">{words('metricsOk')}</th>
                <th scope="col">{words('metricsTypical')}</th>
                <th scope="col">{words('metricsSlow')}</th>
              </tr>
            </thead>
            {groups.map((group) => (
              <tbody key={group.pipeline ?? '-'}>
                {showPipelines && (
                  <tr class="group-row">
                    <th colSpan={5} scope="colgroup">
                      {group.pipeline ? pipelineLabel(config, language, group.pipeline) : words('metricsOther')}
                    </th>
                  </tr>
                )}
                {group.stages.map((stage: StageStat) => (
                  <tr key={stage.stage} data-stage={stage.stage}>
                    <td title={stage.stage}>{breakable(labelOf(stage.stage))}</td>
                    <td>{stage.total}</td>
                    <td class="rate">
                      {stage.successRate !== null && <meter min={0} max={1} low={0.8} high={0.95} optimum={1} value={stage.successRate} />}{' '}
                      {formats.percent(stage.successRate)}
                    </td>
                    <td>{duration(stage.p50Ms)}</td>
                    <td>{duration(stage.p95Ms)}</td>
                  </tr>
                ))}
              </tbody>
            ))}
          </table>
        </div>
      )}
      {orderedDurations.length > 0 && (
        <>
          <h2>{words('metricsDurations')}</h2>
          <StageDurationChart series={orderedDurations} labelOf={labelOf} words={words} />
          <details class="chart-table small">
            <summary>{words('metricsAsTable')}</summary>
            <ul>
              {orderedDurations.map((stage) => (
                <li key={stage.stage}>
                  <strong>{labelOf(stage.stage)}</strong>:{' '}
                  {stage.points
                    .filter((point) => point.p50Ms !== null)
                    .map((point) => `${hourLabels(config.timeZone, language).hour(seconds(point.at))} ${duration(point.p50Ms)}`)
                    .join(' · ')}
                </li>
              ))}
            </ul>
          </details>
        </>
      )}
    </div>
  );
}

/**
 * A stage without a label shows its name (worldoffice_dian_emission): it may wrap after each
 * "_", so on a phone it does not widen its column past the screen. Words never break.
 */
function breakable(text: string) {
  const parts = text.split('_');
  return parts.map((part, index) => (
    <Fragment key={index}>
      {part}
      {index < parts.length - 1 && (
        <>
          _<wbr />
        </>
      )}
    </Fragment>
  ));
}

function sumHours(hours: ThroughputHour[]): Omit<ThroughputHour, 'at'> {
  const sum = (key: keyof Omit<ThroughputHour, 'at'>) => hours.reduce((n, hour) => n + hour[key], 0);
  return {
    received: sum('received'),
    succeeded: sum('succeeded'),
    ignored: sum('ignored'),
    failed: sum('failed'),
    inFlight: sum('inFlight'),
  };
}

/** The chart's numbers as a table (hours with no event left out), for reading and for screen readers. */
function ThroughputTable({ hours, words }: { hours: ThroughputHour[]; words: HomeTranslate }) {
  const { config, language } = useSession();
  const labels = hourLabels(config.timeZone, language);
  const busy = hours.filter((hour) => hour.received > 0);
  return (
    <details class="chart-table small" data-testid="throughput-table">
      <summary>{words('metricsAsTable')}</summary>
      <table>
        <thead>
          <tr>
            <th scope="col">{words('metricsHour')}</th>
            <th scope="col">{words('metricsReceived')}</th>
            <th scope="col">{words('metricsSucceeded')}</th>
            <th scope="col">{words('metricsIgnored')}</th>
            <th scope="col">{words('metricsFailed')}</th>
            <th scope="col">{words('metricsInFlight')}</th>
          </tr>
        </thead>
        <tbody>
          {busy.map((hour) => (
            <tr key={hour.at}>
              <td>{labels.full(seconds(hour.at))}</td>
              <td>{hour.received}</td>
              <td>{hour.succeeded}</td>
              <td>{hour.ignored}</td>
              <td>{hour.failed}</td>
              <td>{hour.inFlight}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
