import { z } from 'zod';
import { page } from './common.js';

/** Flags: each with whether the caller may change it, and their history. */

export const flagView = z.object({
  key: z.string(),
  value: z.boolean(),
  /** The stored text (Spanish, else English, when the config gives one per language). */
  description: z.string(),
  /** The config's texts by language (`{ es, en }`); null when it gives one text for every language. */
  descriptions: z.object({ es: z.string().optional(), en: z.string().optional() }).nullable(),
  updatedAt: z.date(),
  updatedBy: z.string().nullable(),
  canChange: z.boolean(),
  /** Why the caller may not change it (null: they may). */
  reason: z.string().nullable(),
  /** Who may change it (roles, e-mails, token:<name>): the page says so in its own language. */
  allowed: z.array(z.string()),
});

export const flagChange = z.object({
  id: z.number().int(),
  key: z.string(),
  oldValue: z.boolean().nullable(),
  newValue: z.boolean(),
  actor: z.string(),
  reason: z.string().nullable(),
  at: z.date(),
});

export const flagList = z.object({ items: z.array(flagView) });
export const flagHistory = page(flagChange);
