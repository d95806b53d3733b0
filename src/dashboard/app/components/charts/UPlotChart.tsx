import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

interface UPlotChartProps {
  /** uPlot's options without the size: the chart takes its container's width. */
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  height: number;
  /** What the chart shows, in a sentence, for screen readers (the table below has the numbers). */
  summary: string;
  testId: string;
}

/**
 * A uPlot chart (bundled by Vite: no CDN) as wide as its container, redrawn when the container
 * resizes (a phone turned sideways) and destroyed with the component. uPlot draws on a canvas,
 * so the chart is an image to assistive technology: `summary` says what it shows.
 */
export function UPlotChart({ options, data, height, summary, testId }: UPlotChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const width = () => Math.max(240, Math.floor(element.clientWidth));
    const chart = new uPlot({ ...options, width: width(), height }, data, element);
    const observer = new ResizeObserver(() => chart.setSize({ width: width(), height }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [options, data, height]);
  return <div class="chart" ref={box} role="img" aria-label={summary} data-testid={testId} />;
}
