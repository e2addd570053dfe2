'use client';

import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import type { ActivityPayload } from '@/lib/realtime/messages';
import { notePosition } from './read-position';
import { refetchThrottle } from './refetch-throttle';

/**
 * One EventSource per tab, shared by every page through context. Activity messages invalidate
 * the queries that depend on it (at most once a second); a resync invalidates everything. When
 * the stream is down, queries poll instead (see `usePollInterval`) and the page says so. While
 * the tab is hidden the stream is closed and nothing polls; on return everything refetches.
 */
export type StreamStatus = 'connecting' | 'live' | 'polling' | 'hidden';

type ActivityListener = (activity: ActivityPayload) => void;

interface StreamContextValue {
  status: StreamStatus;
  /** Called for every activity message (not throttled): the chart merges its seconds. */
  onActivity: (listener: ActivityListener) => () => void;
  /** Called (throttled to ~1/s) when data may have changed: activity, resync, reconnect. */
  onChange: (listener: () => void) => () => void;
  /** Registers a component that needs the stream; it is open only while one is mounted. */
  acquire: () => () => void;
}

const StreamContext = createContext<StreamContextValue | null>(null);

/** Poll this often while the stream is down. */
export const POLL_MS = 3_000;
/** Give up on the browser's own reconnect and show "polling" after this long without a stream. */
const OPEN_TIMEOUT_MS = 4_000;
/**
 * Activity is pushed once a second by whichever worker runs the rollup. When none does (every
 * worker stopped: the moment the "no workers" warning matters most) the stream is silent, so
 * after this long without a message the page refetches anyway.
 */
const QUIET_REFRESH_MS = 5_000;

export function StreamProvider({ children, url = '/api/v1/stream' }: { children: ReactNode; url?: string }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const activityListeners = useRef(new Set<ActivityListener>());
  const changeListeners = useRef(new Set<() => void>());
  // Pages without live data (sign-in, account) open no stream.
  const [consumers, setConsumers] = useState(0);
  const wanted = consumers > 0;
  const [value] = useState<Omit<StreamContextValue, 'status'>>(() => ({
    acquire: () => {
      setConsumers((n) => n + 1);
      return () => setConsumers((n) => n - 1);
    },
    onActivity: (l) => {
      activityListeners.current.add(l);
      return () => activityListeners.current.delete(l);
    },
    onChange: (l) => {
      changeListeners.current.add(l);
      return () => changeListeners.current.delete(l);
    },
  }));

  useEffect(() => {
    if (!wanted) return;
    let source: EventSource | undefined;
    let openTimer: ReturnType<typeof setTimeout> | undefined;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let lastChange = Date.now();
    const changed = refetchThrottle(() => {
      lastChange = Date.now();
      void queryClient.invalidateQueries({ queryKey: ['live'] });
      for (const l of changeListeners.current) l();
    }, 1_000);

    const quiet = setInterval(() => {
      if (source?.readyState === EventSource.OPEN && Date.now() - lastChange >= QUIET_REFRESH_MS)
        changed.call();
    }, QUIET_REFRESH_MS / 2);
    const close = () => {
      clearTimeout(openTimer);
      clearTimeout(retryTimer);
      source?.close();
      source = undefined;
    };
    const connect = () => {
      close();
      const es = new EventSource(url);
      source = es;
      openTimer = setTimeout(() => setStatus('polling'), OPEN_TIMEOUT_MS);
      const opened = () => {
        clearTimeout(openTimer);
        failures = 0;
        setStatus('live');
      };
      es.addEventListener('hello', () => {
        opened();
        // Whatever happened while we were not connected is in the database: refetch.
        changed.call();
      });
      es.addEventListener('resync', () => {
        opened();
        changed.call();
      });
      es.addEventListener('activity', (event) => {
        opened();
        const activity = JSON.parse((event as MessageEvent<string>).data) as ActivityPayload;
        notePosition(activity.lsn);
        for (const l of activityListeners.current) l(activity);
        changed.call();
      });
      es.onerror = () => {
        // CONNECTING: the browser retries by itself (the server's `retry:`), resuming with
        // Last-Event-ID. CLOSED (an HTTP error, e.g. the server restarting): we retry, backing off.
        setStatus('polling');
        if (es.readyState === EventSource.CLOSED) {
          failures++;
          const delay = Math.min(30_000, 1_000 * 2 ** Math.min(failures, 5)) * (0.5 + Math.random() / 2);
          retryTimer = setTimeout(connect, delay);
        }
      };
    };
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') {
        close();
        setStatus('hidden');
      } else {
        setStatus('connecting');
        connect();
      }
    };
    if (document.visibilityState === 'hidden') setStatus('hidden');
    else connect();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      changed.cancel();
      clearInterval(quiet);
      close();
    };
  }, [queryClient, url, wanted]);

  return <StreamContext.Provider value={{ ...value, status }}>{children}</StreamContext.Provider>;
}

/** The tab's live stream; mounting a component that uses it opens the stream. */
export function useStream(): StreamContextValue {
  const context = useContext(StreamContext);
  if (!context) throw new Error('useStream needs <StreamProvider> (app/providers)');
  const { acquire } = context;
  useEffect(() => acquire(), [acquire]);
  return context;
}

/** refetchInterval for live queries: none while the stream pushes or the tab is hidden. */
export function usePollInterval(): number | false {
  const { status } = useStream();
  return status === 'polling' || status === 'connecting' ? POLL_MS : false;
}
