import { useSession } from '../context.js';
import { pipelineInfo, stageLabel } from '../labels.js';
import type { Checkpoint, PipelineInfo } from '../types.js';

interface StageChainProps {
  pipeline: string | null;
  stage: string;
  checkpoints: Checkpoint[];
}

/** "intentos 2/4": attempts made, of those the stage's retry policy allows (older servers: nothing). */
export function AttemptsOf({ pipeline, stage, attempts }: { pipeline: string | null; stage: string; attempts: number }) {
  const { t, config } = useSession();
  const max = pipelineInfo(config, pipeline)?.stages.find((candidate) => candidate.name === stage)?.maxAttempts;
  if (max === undefined) return null;
  return (
    <span class="attempts-of" data-testid="attempts-of">
      {t('attemptsOf')} {attempts}/{max}
    </span>
  );
}

/**
 * The dependency chain: the stages this one waits for (directly or through others) and the
 * stages waiting for it, each with its state in this event.
 */
export function StageChain({ pipeline, stage, checkpoints }: StageChainProps) {
  const { t, config, language } = useSession();
  const info = pipelineInfo(config, pipeline);
  const definition = info?.stages.find((candidate) => candidate.name === stage);
  if (!info || !definition) return null;
  const chip = (name: string) => {
    const status = checkpoints.find((checkpoint) => checkpoint.stage === name)?.status;
    return (
      <span key={name} class={`status cp-${status ?? 'none'}`} data-stage={name}>
        {stageLabel(config, language, name, pipeline)} · {status ? t(`cp_${status}` as const) : t('notRun')}
      </span>
    );
  };
  const upstream = upstreamOf(info, stage);
  const downstream = downstreamOf(info, stage);
  return (
    <dl class="facts chain" data-testid="stage-chain">
      <dt>{t('waitsFor')}</dt>
      <dd class="chips" data-testid="waits-for">
        {upstream.length > 0 ? upstream.map(chip) : <span class="muted">{t('chainNothing')}</span>}
      </dd>
      <dt>{t('waitedBy')}</dt>
      <dd class="chips" data-testid="waited-by">
        {downstream.length > 0 ? downstream.map(chip) : <span class="muted">{t('chainNothing')}</span>}
      </dd>
    </dl>
  );
}

/** Every stage `stage` needs, directly or through others, in the pipeline's order. */
function upstreamOf(info: PipelineInfo, stage: string): string[] {
  const needed = new Set<string>();
  const visit = (name: string) => {
    for (const dependency of info.stages.find((candidate) => candidate.name === name)?.dependsOn ?? []) {
      if (!needed.has(dependency)) {
        needed.add(dependency);
        visit(dependency);
      }
    }
  };
  visit(stage);
  return info.stages.map((candidate) => candidate.name).filter((name) => needed.has(name));
}

/** Every stage that needs `stage`, directly or through others, in the pipeline's order. */
function downstreamOf(info: PipelineInfo, stage: string): string[] {
  return info.stages.map((candidate) => candidate.name).filter((name) => name !== stage && upstreamOf(info, name).includes(stage));
}
