import { useSession } from '../context.js';
import { bulkText } from '../i18n-bulk.js';
import { stageLabel } from '../labels.js';
import type { PlannedStage, RunPlan } from '../types.js';

/**
 * One event's plan as a person reads it: the stages that will run (and why, when it is because
 * a skip is re-evaluated), those that will be skipped again and why, and those done that will
 * not be repeated. The plan comes from the server, the same one the action applies.
 */
export function PlanStages({ plan, pipeline }: { plan: RunPlan; pipeline: string | null }) {
  const { config, language } = useSession();
  const w = bulkText(language);
  const label = (stage: string) => stageLabel(config, language, stage, pipeline);
  const note = (s: PlannedStage): string | null => {
    if (s.action === 'run') return s.cause === 'follows' ? w('bulkFollows') : s.conditional ? w('bulkMayBeSkipped') : null;
    if (s.action === 'skip')
      return s.skipReason?.kind === 'flag' ? w('bulkFlagOff') : s.skipReason?.kind === 'dependency' ? w('bulkDepSkipped') : null;
    return null;
  };
  const groups = [
    { action: 'run', title: w('bulkWillRun') },
    { action: 'skip', title: w('bulkWillSkip') },
    { action: 'done', title: w('bulkDone') },
  ] as const;
  return (
    <dl class="plan" data-testid="plan">
      {groups.map(({ action, title }) => {
        const stages = plan.stages.filter((s) => s.action === action);
        if (stages.length === 0) return null;
        return (
          <div key={action} class={`plan-group plan-${action}`} data-action={action}>
            <dt>{title}</dt>
            <dd>
              {stages.map((s) => (
                <span key={s.stage} class="plan-stage" data-stage={s.stage} title={s.stage}>
                  {label(s.stage)}
                  {note(s) && <span class="plan-note"> ({note(s)})</span>}
                </span>
              ))}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}
