import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPool } from '../lib/db/client';

/**
 * The baseline `npm run bench:api` measures Herald's publish endpoint against: the cheapest
 * useful HTTP endpoint — read a JSON body, parse it, one INSERT into a plain table, answer 201
 * with the new id — on the same database, with a pool like the app's (10 connections). It
 * belongs to the benchmark, not to Herald: it used to be a route of the app
 * (/api/v1/bench-baseline), which meant an unauthenticated endpoint without a body limit that
 * writes to `public` shipped in every build (issue #18). bench/api.ts runs it in a child process
 * of its own (bench/baseline-main.ts), so that it does not share an event loop with autocannon.
 *
 * Never run it anywhere but a benchmark: it has no authentication and listens on 127.0.0.1 only.
 */
export interface BaselineServer {
  url: string;
  close(): Promise<void>;
}

export const BASELINE_TABLE_DDL =
  'CREATE TABLE IF NOT EXISTS public.bench_baseline (id bigserial PRIMARY KEY, body jsonb NOT NULL)';

/** Largest body it reads: the benchmark sends one small event. */
const MAX_BODY_BYTES = 256 * 1024;

export async function startBaselineServer(options: {
  databaseUrl: string;
  /** 0 (the default) picks a free port. */
  port?: number;
}): Promise<BaselineServer> {
  const pool = createPool(options.databaseUrl, { max: 10, applicationName: 'herald-bench-baseline' });
  await pool.query(BASELINE_TABLE_DDL);

  const answer = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    if (req.method !== 'POST') return answer(res, 405, { error: 'POST only' });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        answer(res, 413, { error: 'too large' });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return answer(res, 400, { error: 'not JSON' });
      }
      pool
        .query<{ id: number }>('INSERT INTO public.bench_baseline (body) VALUES ($1::jsonb) RETURNING id', [
          JSON.stringify(body),
        ])
        .then(
          ({ rows }) => answer(res, 201, { id: rows[0]?.id }),
          (error: unknown) => answer(res, 500, { error: String(error) }),
        );
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port ?? 0, host: '127.0.0.1' }, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}
