import type { Language } from './i18n.js';
import type { ColumnInfo, DashboardConfig, FlagView, PipelineInfo, StageLabel } from './types.js';

/** Stage and column names as people read them, from the pipelines' definitions. */

/**
 * A label in the page's language: one text as it is; texts by language, this language's, else
 * Spanish, else English, else `fallback` (the identifier). The one place that choice is made.
 */
export function localLabel(label: StageLabel | null | undefined, language: Language, fallback: string): string {
  if (!label) return fallback;
  if (typeof label === 'string') return label;
  return label[language] ?? label.es ?? label.en ?? fallback;
}

/** The stage's label in this language (else the other language's, else its name). */
export function stageLabel(config: DashboardConfig, language: Language, stage: string, pipeline: string | null): string {
  const own = config.pipelines.find((candidate) => candidate.name === pipeline);
  const definition =
    own?.stages.find((candidate) => candidate.name === stage) ??
    config.pipelines.flatMap((candidate) => candidate.stages).find((candidate) => candidate.name === stage);
  return localLabel(definition?.label, language, stage);
}

/**
 * What a flag turns off, as people name it: the labels of the stages it gates (a stage without a
 * label by its column's), in pipeline order, once each. Null when no stage names it: the page
 * then shows the flag's description, never the bare key.
 */
export function flagLabel(config: DashboardConfig, language: Language, key: string): string | null {
  const names = config.pipelines.flatMap((pipeline) =>
    pipeline.stages
      .filter((stage) => stage.flag === key)
      .map((stage) => {
        if (stage.label) return stageLabel(config, language, stage.name, pipeline.name);
        const column = config.columns.find((candidate) => candidate.key === stage.column);
        return column ? columnLabel(language, column) : null;
      }),
  );
  const known = [...new Set(names.filter((name) => name !== null))];
  return known.length > 0 ? known.join(' · ') : null;
}

/** A flag's description in this language when the config gives one per language, else its one text. */
export function flagDescription(flag: Pick<FlagView, 'description' | 'descriptions'>, language: Language): string {
  return localLabel(flag.descriptions, language, flag.description);
}

/** A column's label in this language (else the other language's, else its key). */
export function columnLabel(language: Language, column: Pick<ColumnInfo, 'key' | 'label'>): string {
  return localLabel(column.label, language, column.key);
}

/** The pipeline's label in this language (else the other language's, else its name). */
export function pipelineLabel(config: DashboardConfig, language: Language, pipeline: string): string {
  return localLabel(pipelineInfo(config, pipeline)?.label, language, pipeline);
}

export function pipelineInfo(config: DashboardConfig, pipeline: string | null): PipelineInfo | null {
  return config.pipelines.find((candidate) => candidate.name === pipeline) ?? null;
}

/**
 * The columns a pipeline's rows show. A server that lists no pipelines (older API) gets every
 * column; an event with no pipeline (ignored, not run yet) gets none.
 */
export function pipelineColumns(config: DashboardConfig, pipeline: string | null): ColumnInfo[] {
  if (config.pipelines.length === 0) return config.columns;
  const info = pipelineInfo(config, pipeline);
  if (!info) return [];
  return info.columns.map((key) => config.columns.find((column) => column.key === key)).filter((column) => column !== undefined);
}
