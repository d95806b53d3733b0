import { StoreError } from '../core/errors.js';

/**
 * A lease must last a positive whole number of milliseconds: 0, a negative or a fractional
 * length would hand out a lease that is already expired (or a time the database rounds). Both
 * stores check it before claiming or renewing, so a caller's mistake fails the same way on each.
 */
export function assertLeaseMs(leaseMs: number): void {
  if (!Number.isSafeInteger(leaseMs) || leaseMs <= 0) {
    throw new StoreError('INVALID_ARGUMENT', `a lease must last a positive whole number of milliseconds, got ${leaseMs}`);
  }
}
