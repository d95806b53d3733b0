import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import { useSession } from '../../context.js';
import type { HomeTranslate } from '../../home-i18n.js';
import type { ThroughputHour } from '../../home-types.js';
import { hourLabels, paddedHours, seconds } from './time-axis.js';
import { UPlotChart } from './UPlotChart.js';

/** Outcomes bottom to top, with the colours the rest of the page uses for them. */
const OUTCOMES = [
  { key: 'succeeded', word: 'metricsSucceeded', color: '#1a7f37' },
  { key: 'ignored', word: 'metricsIgnored', color: '#8c959f' },
  { key: 'failed', word: 'metricsFailed', color: '#cf222e' },
  { key: 'inFlight', word: 'metricsInFlight', color: '#0969da' },
] as const;

/**
 * Events per hour, stacked by outcome: each bar is the hour's received events, split into
 * done, ignored, failed and in flight (they add up). uPlot has no stacking of its own: each
 * series is drawn as the running total up to it, tallest first, so the colours stack; the
 * legend shows each outcome's own count.
 */
export function ThroughputChart({ hours, words }: { hours: ThroughputHour[]; words: HomeTranslate }) {
  const { config, language } = useSession();
  const [options, data] = useMemo(() => {
    const x = hours.map((hour) => seconds(hour.at));
    const own = OUTCOMES.map((outcome) => hours.map((hour) => hour[outcome.key]));
    const runningTotals = OUTCOMES.map((_, index) =>
      hours.map((_, h) => own.slice(0, index + 1).reduce((n, values) => n + (values[h] ?? 0), 0)),
    );
    const labels = hourLabels(config.timeZone, language);
    const series: uPlot.Series[] = [{ label: words('metricsHour'), value: (_u, v) => (v === null ? '—' : labels.full(v)) }];
    const drawn: number[][] = [];
    // Tallest (running total of all) first; the bars drawn later cover the lower part.
    for (let index = OUTCOMES.length - 1; index >= 0; index--) {
      const outcome = OUTCOMES[index];
      if (!outcome) continue;
      drawn.push(runningTotals[index] ?? []);
      series.push({
        label: words(outcome.word),
        stroke: outcome.color,
        fill: outcome.color,
        width: 0,
        ...(barsPath ? { paths: barsPath } : {}),
        points: { show: false },
        value: (_u, _v, _series, at) => (at === null ? '—' : String(own[index]?.[at] ?? 0)),
      });
    }
    const chartOptions: Omit<uPlot.Options, 'width' | 'height'> = {
      series,
      scales: { x: { time: true, range: paddedHours }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] } },
      axes: [
        { values: (_u, splits) => splits.map((split) => labels.hour(split)) },
        { values: (_u, splits) => splits.map((split) => (Number.isInteger(split) ? String(split) : '')) },
      ],
      cursor: { drag: { x: false, y: false } },
    };
    return [chartOptions, [x, ...drawn] as uPlot.AlignedData] as const;
  }, [hours, words, config.timeZone, language]);
  const total = (key: (typeof OUTCOMES)[number]['key'] | 'received') => hours.reduce((n, hour) => n + hour[key], 0);
  const summary = words('metricsChartSummary', {
    received: total('received'),
    succeeded: total('succeeded'),
    ignored: total('ignored'),
    failed: total('failed'),
    inFlight: total('inFlight'),
  });
  return <UPlotChart options={options} data={data} height={220} summary={summary} testId="chart-throughput" />;
}

/** Bars as wide as 80% of an hour's slot, at most 48 px. */
const barsPath = uPlot.paths.bars?.({ size: [0.8, 48] });
