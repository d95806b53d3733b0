import type { JsonValue } from '../core/types.js';

/** A request a simulated service received: what a connector sent, as it sent it. */
export interface RecordedRequest {
  /** The service, from the path (`/sandbox/<service>/…`). */
  service: string;
  method: string;
  /** The path and query string exactly as received (not decoded), e.g. `/sandbox/strapi/api/carteras?filters[acuerdo][$eq]=A%2F1`. */
  url: string;
  /** The parsed JSON body, or null without one. */
  body: JsonValue;
}

/**
 * The last requests the sandbox's services received, newest last, so that a test can check the
 * exact shape a connector speaks (query strings, envelopes, ids in paths). In memory only, and
 * bounded: the demo runs for hours.
 */
export class RequestLog {
  private readonly entries: RecordedRequest[] = [];

  constructor(private readonly capacity = 500) {}

  record(entry: RecordedRequest): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  list(service?: string): RecordedRequest[] {
    return this.entries.filter((entry) => service === undefined || entry.service === service);
  }

  clear(): number {
    return this.entries.splice(0).length;
  }
}
