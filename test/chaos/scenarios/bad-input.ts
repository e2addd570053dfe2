import fc from 'fast-check';
import * as batchRoute from '../../../app/api/v1/events/batch/route';
import { webhookCredentials } from '../../../lib/email/config';
import { postmarkWebhookRoute, publishRoute, type RouteHandler } from '../app';
import { publishBody, webhookBody } from '../fuzz';
import { type ChaosScale, pick } from '../scale';
import type { ChaosServer } from '../server';
import { finish, type ScenarioResult, withStage } from '../stage';
import { recorderLoad } from './common';

const batchPublish = batchRoute.POST as RouteHandler;

/** Numeric `id`s anywhere in an answer (a published event, or each of a batch's). */
function idsIn(value: unknown, into: Set<number>, depth = 0) {
  if (depth > 4 || value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'id' && typeof v === 'number') into.add(v);
    else idsIn(v, into, depth + 1);
  }
}

/**
 * Hostile publish requests and malformed Postmark webhooks at volume, while valid events flow:
 * never a 5xx, always the JSON error shape, a refused request writes nothing, and the valid
 * load is still delivered in full.
 */
export function badInput(server: ChaosServer, scale: ChaosScale): Promise<ScenarioResult> {
  return withStage(server, 'input', scale, {}, async (stage) => {
    await stage.fleet.start();
    const load = recorderLoad(stage, 20, 600_000);
    const requests = pick(scale, 400, 20_000);
    const deadline = Date.now() + pick(scale, 30_000, 180_000);
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1e9);
    const accepted = new Set<number>();
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    let sent = 0;
    let webhooksStored = 0;
    // The credentials the in-process webhook route checks (in sandbox mode, the installation's generated password).
    const { user, password } = webhookCredentials()!;
    const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const bodies = fc.sample(fc.tuple(fc.integer({ min: 0, max: 2 }), publishBody, webhookBody), {
      numRuns: requests,
      seed,
    });
    for (const [route, publish, webhook] of bodies) {
      if (Date.now() > deadline) break;
      sent++;
      let res: Response;
      try {
        if (route === 2) {
          res = await postmarkWebhookRoute(
            new Request('http://127.0.0.1/api/v1/webhooks/postmark', {
              method: 'POST',
              headers: { authorization: auth, 'content-type': 'application/json' },
              body: webhook,
            }),
          );
        } else {
          res = await (route === 0 ? publishRoute : batchPublish)(
            new Request('http://127.0.0.1/api/v1/events', {
              method: 'POST',
              headers: { authorization: `Bearer ${stage.apiToken}`, 'content-type': 'application/json' },
              body: publish,
            }),
            { params: Promise.resolve({}) },
          );
        }
      } catch (error) {
        problems.push(
          `a handler threw (route ${route}): ${String(error).slice(0, 300)} ${String((error as { cause?: unknown }).cause ?? '')}`,
        );
        continue;
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        problems.push(`${res.status} answer is not JSON: ${text.slice(0, 100)}`);
        continue;
      }
      if (res.status >= 500) problems.push(`${res.status}: ${text.slice(0, 200)}`);
      else if (res.status >= 400) {
        const e = (body as { error?: { code?: unknown; message?: unknown } }).error;
        if (typeof e?.code !== 'string' || typeof e.message !== 'string')
          problems.push(`${res.status} without the error shape: ${text.slice(0, 100)}`);
      } else if (route === 2) webhooksStored++;
      else idsIn(body, accepted);
      if (problems.length > 20) break;
    }
    // A refused request writes nothing: every event is the load's or one a 2xx answer named.
    const [stray] = await stage.db.query<{ events: number; webhooks: number }>(
      `SELECT (SELECT count(*)::int FROM herald.events
                WHERE id <> ALL($1::bigint[]) AND (idempotency_key IS NULL OR idempotency_key NOT LIKE 'chaos-%')) AS events,
              (SELECT count(*)::int FROM herald.email_events) AS webhooks`,
      [[...accepted]],
    );
    if (stray!.events > 0) problems.push(`${stray!.events} events written by refused requests`);
    if (stray!.webhooks > webhooksStored)
      problems.push(`${stray!.webhooks - webhooksStored} webhook records written by refused requests`);
    const finishedAt = Date.now();
    return finish(stage, {
      name: 'bad-input',
      title: 'Bad input at volume (hostile API requests, malformed Postmark webhooks)',
      load,
      faults: sent,
      faultKind: 'hostile requests',
      lastFaultEndedAt: finishedAt,
      drainTimeoutMs: 60_000,
      notes: {
        seed,
        statuses: [...statuses]
          .sort((a, b) => a[0] - b[0])
          .map(([s, n]) => `${s}:${n}`)
          .join(','),
      },
      problems,
    });
  });
}
