import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import { useSession } from '../../context.js';
import type { HomeTranslate } from '../../home-i18n.js';
import type { StageDurationSeries } from '../../home-types.js';
import { hourLabels, paddedHours, seconds } from './time-axis.js';
import { UPlotChart } from './UPlotChart.js';

const PALETTE = ['#0969da', '#c2185b', '#1a7f37', '#9a6700', '#8250df', '#bc4c00', '#1b7c83', '#cf222e', '#57606a', '#6e7781'];

/**
 * Each stage's median duration per hour, in seconds, one line per stage (stages in pipeline
 * order, labelled), with gaps where a stage did not run that hour.
 */
export function StageDurationChart({
  series,
  labelOf,
  words,
}: {
  series: StageDurationSeries[];
  labelOf: (stage: string) => string;
  words: HomeTranslate;
}) {
  const { config, language, formats } = useSession();
  const [options, data] = useMemo(() => {
    const x = (series[0]?.points ?? []).map((point) => seconds(point.at));
    const labels = hourLabels(config.timeZone, language);
    const chartSeries: uPlot.Series[] = [
      { label: words('metricsHour'), value: (_u, v) => (v === null ? '—' : labels.full(v)) },
      ...series.map((stage, index) => ({
        label: labelOf(stage.stage),
        stroke: PALETTE[index % PALETTE.length] ?? '#0969da',
        width: 2,
        spanGaps: false,
        points: { show: true, size: 5 },
        value: (_u: uPlot, v: number | null) => (v === null ? '—' : formats.duration(v * 1000)),
      })),
    ];
    const chartOptions: Omit<uPlot.Options, 'width' | 'height'> = {
      series: chartSeries,
      scales: { x: { time: true, range: paddedHours }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [
        { values: (_u, splits) => splits.map((split) => labels.hour(split)) },
        { values: (_u, splits) => splits.map((split) => `${split} s`), size: 56 },
      ],
      cursor: { drag: { x: false, y: false } },
    };
    const values = series.map((stage) => stage.points.map((point) => (point.p50Ms === null ? null : point.p50Ms / 1000)));
    return [chartOptions, [x, ...values] as uPlot.AlignedData] as const;
  }, [series, labelOf, words, config.timeZone, language, formats]);
  return <UPlotChart options={options} data={data} height={220} summary={words('metricsDurationSummary')} testId="chart-durations" />;
}
