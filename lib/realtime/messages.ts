/**
 * What the SSE stream sends. `activity` carries herald.roll_up()'s per-second totals
 * (replacements for those buckets, never increments); `resync` tells the page to refetch
 * everything, because something may have been missed (a restarted server, a reconnected
 * listener, a Last-Event-ID this process cannot resume from).
 */
export type StreamEventName = 'hello' | 'activity' | 'resync';

export interface ActivitySecond {
  /** Epoch seconds of the bucket. */
  t: number;
  published: number;
  succeeded: number;
  failed: number;
  dead: number;
}

export interface ActivityPayload {
  from: number;
  to: number;
  seconds: ActivitySecond[];
  /** With a read replica: the primary's WAL position when this was sent (lib/db/lsn.ts). */
  lsn?: string;
}

export interface HubMessage {
  /** Monotonic within one hub (one server process). */
  seq: number;
  event: StreamEventName;
  /** One line of JSON: SSE data must not contain a newline unless split into several lines. */
  data: string;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function isSecond(v: unknown): v is ActivitySecond {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return isCount(s.t) && isCount(s.published) && isCount(s.succeeded) && isCount(s.failed) && isCount(s.dead);
}

/** Parses a herald_activity NOTIFY payload; null when it is not the expected shape. */
export function parseActivity(payload: string): ActivityPayload | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const p = value as Record<string, unknown>;
  if (!isCount(p.from) || !isCount(p.to) || !Array.isArray(p.seconds) || !p.seconds.every(isSecond))
    return null;
  return { from: p.from, to: p.to, seconds: p.seconds };
}

/** `<epoch>:<seq>` — the epoch names the server process, so another process never "resumes" it. */
export function formatEventId(epoch: string, seq: number): string {
  return `${epoch}:${seq}`;
}

export function parseEventId(id: string | null): { epoch: string; seq: number } | null {
  if (!id) return null;
  const m = /^([a-z0-9]{1,40}):(\d{1,15})$/.exec(id.trim());
  return m ? { epoch: m[1]!, seq: Number(m[2]) } : null;
}
