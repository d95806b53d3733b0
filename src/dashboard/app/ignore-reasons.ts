import type { Language, Translate } from './i18n.js';

/** An event's `ignoreReason`; a kind the page does not know reads as the pipeline's own reason. */
export interface IgnoreFacts {
  kind: string;
  detail: string;
  /** A pipeline's own reason by language, when it gave one. */
  texts?: Partial<Record<Language, string>>;
}

/**
 * Why an ignored event was ignored, in the page's language. The engine's own kinds (out of
 * order, a transition the state machine forbids) are worded for people; their technical detail
 * (times, states) stays in `technicalIgnoreDetail` for the title and the panel. A pipeline's own
 * reason (`not_applicable`) is its text in `language` when the pipeline gave one, else its one text.
 */
export function ignoreText(t: Translate, language: Language, reason: IgnoreFacts): string {
  switch (reason.kind) {
    case 'no_pipeline':
      return t('ignoredNoPipeline');
    case 'stale_transition':
      return t('ignoredStale');
    case 'invalid_transition':
      return t('ignoredInvalid');
    default:
      return `${t('ignoredNotApplicable')} ${reason.texts?.[language] ?? reason.detail}`;
  }
}

/** The engine's own words, for a title or a "technical detail" line; null when already shown. */
export function technicalIgnoreDetail(reason: IgnoreFacts): string | null {
  return reason.kind === 'stale_transition' || reason.kind === 'invalid_transition' ? reason.detail : null;
}
