'use client';

import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { fetchJson, HttpError } from '@/app/providers/fetch-json';
import { POLL_MS, useStream } from '@/app/providers/stream';
import type { Feed } from '@/lib/queries/feed';
import { listHref } from '../overview/format';
import type { FeedRow } from './feed-rows';

/** Rows kept on the page; older ones fall off the bottom. */
const MAX_ROWS = 300;
/** Pages fetched per catch-up, so a paused feed that resumes after a burst stays bounded. */
const MAX_PAGES = 5;
const PAGE = 100;

export interface FeedFilters {
  channel?: string;
  subscription?: string;
}

function merge(newer: FeedRow[], older: FeedRow[]): FeedRow[] {
  return [...newer, ...older].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, MAX_ROWS);
}

const rowsOf = (feed: Feed): FeedRow[] => merge([...feed.events, ...feed.attempts], []);

/**
 * The live feed's rows: the newest page first (a react-query query), then whatever is newer
 * than the cursor each time the stream says something happened (throttled to ~1/s by the
 * provider), or every few seconds while the stream is down. Paused: nothing is fetched; on
 * resume the feed catches up from its cursor.
 */
export function useFeed(filters: FeedFilters, paused: boolean) {
  const { onChange, status } = useStream();
  const url = (after?: string) => listHref('/api/v1/feed', { ...filters, after, limit: String(PAGE) });
  const first = useQuery({
    queryKey: ['feed', filters.channel ?? '', filters.subscription ?? ''],
    queryFn: ({ signal }) => fetchJson<Feed>(url(), signal),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const [rows, setRows] = useState<FeedRow[]>([]);
  const cursor = useRef<string | undefined>(undefined);
  const busy = useRef(false);

  useEffect(() => {
    if (!first.data) return;
    cursor.current = first.data.cursor;
    setRows(rowsOf(first.data));
  }, [first.data]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: url() depends only on the filters listed
  const catchUp = useCallback(async () => {
    if (busy.current || !cursor.current) return;
    busy.current = true;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const feed: Feed = await fetchJson<Feed>(url(cursor.current));
        cursor.current = feed.cursor;
        const fresh = [...feed.events, ...feed.attempts];
        if (fresh.length) setRows((old) => merge(fresh, old));
        if (feed.events.length < PAGE && feed.attempts.length < PAGE) break;
      }
    } catch (error) {
      // A cursor this server no longer reads (its format changed in an upgrade while the page
      // stayed open): start again from the newest page. Anything else: the next message or
      // poll tries again, and the status pill tells the user if the server is down.
      if (error instanceof HttpError && error.status === 400) {
        const newest = await fetchJson<Feed>(url()).catch(() => undefined);
        if (newest) {
          cursor.current = newest.cursor;
          setRows(rowsOf(newest));
        }
      }
    } finally {
      busy.current = false;
    }
  }, [filters.channel, filters.subscription]);

  useEffect(() => {
    if (paused) return;
    void catchUp();
    const off = onChange(() => void catchUp());
    const poll = status === 'polling' ? setInterval(() => void catchUp(), POLL_MS) : undefined;
    return () => {
      off();
      clearInterval(poll);
    };
  }, [paused, onChange, catchUp, status]);

  return { rows, loading: first.isPending, error: first.error, retry: () => void first.refetch() };
}
