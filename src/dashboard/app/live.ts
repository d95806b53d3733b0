import { useEffect, useRef, useState } from 'preact/hooks';

/** What the stream says changed: events by id (a new one or a new status, or a checkpoint). */
export interface Changes {
  eventIds: number[];
  /** True after a reconnection: messages may have been missed, so reload the page of rows. */
  reconnected: boolean;
}

const RECONNECT_MS = 5000;

/**
 * Subscribes to `/api/stream` and reports changed event ids in small batches (one refetch per
 * event however many checkpoint messages arrive together). Returns whether the stream is open.
 */
export function useLiveChanges(onChanges: (changes: Changes) => void): boolean {
  const [open, setOpen] = useState(false);
  const handler = useRef(onChanges);
  handler.current = onChanges;

  useEffect(() => {
    let stream: EventSource | null = null;
    let reopen: ReturnType<typeof setTimeout> | null = null;
    const pending = new Set<number>();
    let timer: ReturnType<typeof setTimeout> | null = null;
    let wasOpen = false;
    let reconnected = false;
    const flush = () => {
      timer = null;
      const changes = { eventIds: [...pending], reconnected };
      pending.clear();
      reconnected = false;
      handler.current(changes);
    };
    const schedule = () => {
      if (timer === null) timer = setTimeout(flush, 120);
    };
    const note = (id: unknown) => {
      if (typeof id === 'number' && Number.isInteger(id)) pending.add(id);
      schedule();
    };
    const read = (message: MessageEvent<string>): Record<string, unknown> => {
      try {
        const parsed: unknown = JSON.parse(message.data);
        return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
      } catch {
        return {};
      }
    };
    const connect = () => {
      const current = new EventSource('/api/stream', { withCredentials: true });
      stream = current;
      current.addEventListener('event', (message) => note(read(message).id));
      current.addEventListener('checkpoint', (message) => note(read(message).eventId));
      current.addEventListener('open', () => {
        setOpen(true);
        if (wasOpen) {
          reconnected = true;
          schedule();
        }
        wasOpen = true;
      });
      current.addEventListener('error', () => {
        setOpen(current.readyState === EventSource.OPEN);
        // The browser retries dropped connections itself, but gives up after an error reply
        // (a restarting server, a 5xx): try again a little later.
        if (current.readyState === EventSource.CLOSED && reopen === null) {
          reopen = setTimeout(() => {
            reopen = null;
            connect();
          }, RECONNECT_MS);
        }
      });
    };
    connect();
    return () => {
      if (timer !== null) clearTimeout(timer);
      if (reopen !== null) clearTimeout(reopen);
      stream?.close();
    };
  }, []);
  return open;
}
