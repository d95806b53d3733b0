import assert from 'node:assert/strict';
import { test } from 'node:test';
import { todayAndWeek } from '../../src/server/api/periods.js';

/** "Today" and "this week" are the dashboard time zone's, whatever the machine's TZ. */

const iso = (period: { since: Date; until: Date }) => [period.since.toISOString(), period.until.toISOString()];

test('Bogotá: 22:00 on Sunday is still Sunday there (Monday in UTC); the week began the Monday before', () => {
  const { today, week } = todayAndWeek(new Date('2026-12-07T03:00:00Z'), 'America/Bogota');
  assert.deepEqual(iso(today), ['2026-12-06T05:00:00.000Z', '2026-12-07T05:00:00.000Z']);
  assert.deepEqual(iso(week), ['2026-11-30T05:00:00.000Z', '2026-12-07T05:00:00.000Z']);
});

test('a day with a daylight-saving change is 23 hours long, and the week spans a month boundary', () => {
  const { today, week } = todayAndWeek(new Date('2026-03-29T12:00:00Z'), 'Europe/Madrid');
  assert.deepEqual(iso(today), ['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
  assert.deepEqual(iso(week), ['2026-03-22T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
  const monday = todayAndWeek(new Date('2026-06-01T00:30:00Z'), 'Asia/Tokyo');
  assert.deepEqual(iso(monday.week), ['2026-05-31T15:00:00.000Z', '2026-06-07T15:00:00.000Z']);
});
