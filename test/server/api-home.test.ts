import { test } from 'node:test';
import { homeCases } from './api-home-cases.js';

test('home: counts and money of a known data set in Bogotá time; mark as handled validated, audited, logged (SQLite)', async () => {
  await homeCases({});
});
