import type { StageDefinition } from '../core/pipeline.js';

/**
 * The stages in the order they run: list order, except that a stage never comes before the
 * stages it depends on (a stable topological sort; definePipeline has rejected cycles).
 */
export function stageOrder(stages: readonly StageDefinition[]): StageDefinition[] {
  const ordered: StageDefinition[] = [];
  const placed = new Set<string>();
  const byName = new Map(stages.map((s) => [s.name, s]));
  const place = (stage: StageDefinition): void => {
    if (placed.has(stage.name)) return;
    placed.add(stage.name);
    for (const dep of stage.dependsOn ?? []) {
      const depStage = byName.get(dep);
      if (depStage) place(depStage);
    }
    ordered.push(stage);
  };
  stages.forEach(place);
  return ordered;
}
