/**
 * A Postmark-compatible server for bench:email, run as its own process (bench/email.ts forks it),
 * so that answering emails does not take CPU from the worker being measured. It speaks POST
 * /email and POST /email/batch with Postmark's token header, and answers each message with the
 * sandbox's own per-message rules (lib/sandbox/postmark-api.ts `handleMessage`, no storage): an
 * accepted message gets a MessageID, an invalid one its ErrorCode. No delay unless the parent
 * asks for one (`--delay-ms` of bench:email, per request).
 *
 * It counts accepted messages by the number in their recipient (`customer-<n>@…`), so the bench
 * can tell lost and duplicated emails apart, and keeps the time of the first and last accept on
 * the clock the parent shares (performance.timeOrigin + performance.now(), epoch ms).
 *
 * IPC: parent → { type: 'reset', size } | { type: 'stats' } | { type: 'latency-start', startAt,
 * bucketMs } | { type: 'latency' }; child → { type: 'listening', port } | { type: 'reset-done' } |
 * { type: 'stats', … } | { type: 'latency-started' } | { type: 'latency', buckets }.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HandledMessage, handleMessage } from '../lib/sandbox/postmark-api';

const token = process.env.BENCH_POSTMARK_TOKEN ?? 'bench-token';
const RECIPIENT = /^customer-(\d+)@/;
const noInactive = new Set<string>();
const delayMs = Number(process.env.BENCH_POSTMARK_DELAY_MS ?? 0);

let counts = new Uint16Array(0);
let unique = 0;
let duplicates = 0;
let unknown = 0;
let requests = 0;
let firstAt = Number.NaN;
let lastAt = Number.NaN;

const now = () => performance.timeOrigin + performance.now();

/**
 * bench:horizon: publish → accepted latency, by system and time bucket. Its emails carry their
 * publication time in the order id (`<system>-<n>@<epoch ms>`, Metadata.orderId).
 */
let latency: { startAt: number; bucketMs: number; samples: Map<string, number[]> } | undefined;
const ORDER_ID = /^([a-z]+)-\d+@(\d+(?:\.\d+)?)$/;

function recordLatency(handled: HandledMessage, at: number) {
  const metadata = handled.request.Metadata as Record<string, unknown> | undefined;
  const match = ORDER_ID.exec(String(metadata?.orderId ?? ''));
  if (!latency || !match) return;
  const bucket = Math.floor((at - latency.startAt) / latency.bucketMs);
  const key = `${match[1]}:${bucket}`;
  const list = latency.samples.get(key) ?? [];
  if (list.length === 0) latency.samples.set(key, list);
  list.push(at - Number(match[2]));
}

function latencyBuckets() {
  return [...(latency?.samples ?? new Map<string, number[]>())].map(([key, values]) => {
    const [system, bucket] = key.split(':') as [string, string];
    const sorted = [...values].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
    return {
      system,
      bucket: Number(bucket),
      count: sorted.length,
      p50: at(50),
      p99: at(99),
      max: sorted.at(-1)!,
    };
  });
}

function accept(handled: HandledMessage) {
  const to = handled.answer.To;
  const at = now();
  recordLatency(handled, at);
  if (Number.isNaN(firstAt)) firstAt = at;
  lastAt = at;
  const n = Number(RECIPIENT.exec(to ?? '')?.[1] ?? -1);
  if (!(n >= 0 && n < counts.length)) {
    unknown++;
    return;
  }
  if (counts[n] === 0) unique++;
  else duplicates++;
  counts[n]! += 1;
}

async function answer(path: string, text: string): Promise<[number, unknown]> {
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [422, { ErrorCode: 402, Message: 'Received invalid JSON input.' }];
  }
  if (path === '/email') {
    const handled = handleMessage('email', body, noInactive);
    if (handled.answer.ErrorCode === 0) accept(handled);
    return [handled.httpStatus, handled.answer];
  }
  if (!Array.isArray(body)) return [422, { ErrorCode: 403, Message: 'Expected an array of messages.' }];
  if (body.length > 500)
    return [
      422,
      { ErrorCode: 410, Message: 'Too many batch messages. You can send up to 500 messages per batch.' },
    ];
  return [
    200,
    body.map((message) => {
      const handled = handleMessage('email', message, noInactive);
      if (handled.answer.ErrorCode === 0) accept(handled);
      return handled.answer;
    }),
  ];
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    requests++;
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers['x-postmark-server-token'] !== token)
      return reply(401, { ErrorCode: 10, Message: 'Request does not contain a valid Server token.' });
    if (req.method !== 'POST' || (path !== '/email' && path !== '/email/batch'))
      return reply(404, { ErrorCode: 0, Message: `not implemented: ${req.method} ${path}` });
    answer(path, Buffer.concat(chunks).toString('utf8')).then(([status, body]) => reply(status, body));
  });
});
server.keepAliveTimeout = 60_000;

process.on('message', (m: { type: string; size?: number; startAt?: number; bucketMs?: number }) => {
  if (m.type === 'reset') {
    counts = new Uint16Array(m.size ?? 0);
    unique = duplicates = unknown = requests = 0;
    firstAt = lastAt = Number.NaN;
    process.send?.({ type: 'reset-done' });
  } else if (m.type === 'latency-start') {
    latency = { startAt: m.startAt ?? now(), bucketMs: m.bucketMs ?? 60_000, samples: new Map() };
    process.send?.({ type: 'latency-started' });
  } else if (m.type === 'latency') {
    process.send?.({ type: 'latency', buckets: latencyBuckets() });
  } else if (m.type === 'stats') {
    process.send?.({ type: 'stats', unique, duplicates, unknown, requests, firstAt, lastAt });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port });
});
