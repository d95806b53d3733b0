import assert from 'node:assert/strict';
import { SourceError, type SourceErrorCode } from '../../src/sources/source.js';

/** Asserts that the promise rejects with a SourceError of this code (and its HTTP status). */
export async function rejectsWith(promise: Promise<unknown>, code: SourceErrorCode, status: number): Promise<SourceError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SourceError, `expected a SourceError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.statusCode, status);
  return caught;
}
