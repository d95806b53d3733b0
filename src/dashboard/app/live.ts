import { useEffect, useRef, useState } from 'preact/hooks';

/** What the stream says changed: events by id (a new one or a new status, or a checkpoint). */
export interface Changes {
  eventIds: number[];
  /** True after a reconnection: messages may have been missed, so reload the page of rows. */
  reconnected: boolean;
}

/**
 * Subscribes to `/api/stream` and reports changed event ids in small batches (one refetch per
 * event however many checkpoint messages arrive together). Returns whether the stream is open.
 */
export function useLiveChanges(onChanges: (changes: Changes) => void): boolean {
  const [open, setOpen] = useState(false);
  const handler = useRef(onChanges);
  handler.current = onChanges;

  useEffect(() => {
    const stream = new EventSource('/api/stream', { withCredentials: true });
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
    stream.addEventListener('event', (message) => note(read(message).id));
    stream.addEventListener('checkpoint', (message) => note(read(message).eventId));
    stream.addEventListener('open', () => {
      setOpen(true);
      if (wasOpen) {
        reconnected = true;
        schedule();
      }
      wasOpen = true;
    });
    stream.addEventListener('error', () => setOpen(stream.readyState === EventSource.OPEN));
    return () => {
      if (timer !== null) clearTimeout(timer);
      stream.close();
    };
  }, []);
  return open;
}
