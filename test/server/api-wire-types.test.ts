/**
 * The dashboard's types are the server's reply schemas as JSON (src/core/wire/ through Jsonify),
 * and only types cross over: the page's bundle holds no zod and no server code. Run after
 * `npm run build` (the bundle is src/dashboard/dist/).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { z } from 'zod';
import type { eventRow } from '../../src/core/wire/events.js';
import type { AlertView, EventRow, Jsonify } from '../../src/dashboard/app/types.js';
import type { HomeSummary } from '../../src/dashboard/app/home-types.js';

/** True only when A and B are the same type (checked by `npm run typecheck`, which includes test/). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

test('the page reads dates as strings and the rest as the server sends it (compile-time)', () => {
  const datesAreStrings: [
    Same<EventRow['receivedAt'], string>,
    Same<EventRow['nextAttemptAt'], string | null>,
    Same<AlertView['mutedUntil'], string | null>,
    Same<HomeSummary['now'], string>,
  ] = [true, true, true, true];
  const rowIsTheSchema: Same<EventRow, Jsonify<z.output<typeof eventRow>>> = true;
  const nestedDates: Same<EventRow['checkpoints'][number]['history'][number]['startedAt'], string> = true;
  assert.deepEqual([...datesAreStrings, rowIsTheSchema, nestedDates], [true, true, true, true, true, true]);
});

test("the page's bundle holds none of the server's code: the wire schemas cross over as types only", () => {
  const assets = new URL('../../src/dashboard/dist/assets/', import.meta.url);
  const scripts = readdirSync(assets).filter((name) => name.endsWith('.js'));
  assert.ok(scripts.length > 0, 'build first: npm run build');
  for (const name of scripts) {
    const code = readFileSync(new URL(name, assets), 'utf8');
    for (const marker of ['_zod', 'ZodError', 'fastify']) assert.ok(!code.includes(marker), `${name} holds ${marker}`);
  }
});
