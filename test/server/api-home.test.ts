import { test } from 'node:test';
import { deliveryCases, homeCases } from './api-home-cases.js';

test('home: counts and money of a known data set in Bogotá time; mark as handled validated, audited, logged (SQLite)', async () => {
  await homeCases({});
});

test("home: webhooks delivered and refused per source, today and this week; each source's kind in the config (SQLite)", async () => {
  await deliveryCases({});
});
