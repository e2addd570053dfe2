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
 * IPC: parent → { type: 'reset', size } | { type: 'stats' }; child → { type: 'listening', port } |
 * { type: 'reset-done' } | { type: 'stats', … }.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleMessage } from '../lib/sandbox/postmark-api';

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

function accept(to: string | undefined) {
  const at = now();
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
    if (handled.answer.ErrorCode === 0) accept(handled.answer.To);
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
      if (handled.answer.ErrorCode === 0) accept(handled.answer.To);
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

process.on('message', (m: { type: string; size?: number }) => {
  if (m.type === 'reset') {
    counts = new Uint16Array(m.size ?? 0);
    unique = duplicates = unknown = requests = 0;
    firstAt = lastAt = Number.NaN;
    process.send?.({ type: 'reset-done' });
  } else if (m.type === 'stats') {
    process.send?.({ type: 'stats', unique, duplicates, unknown, requests, firstAt, lastAt });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port });
});
