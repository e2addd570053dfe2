import type { Metadata } from 'next';
import { alertKindInfo } from '@/lib/alerts/kinds';
import { dashboardPath } from '@/lib/alerts/message';
import { listAlerts, listDestinations, listRules } from '@/lib/alerts/queries';
import { guardPage } from '@/lib/auth/guard';
import { can } from '@/lib/auth/principal';
import { sharedReadDb } from '@/lib/db/client';
import { Badge } from '../_components/ui/badge';
import { Card } from '../_components/ui/card';
import { EmptyState } from '../_components/ui/empty-state';
import { rowClass, Table, Td, Th } from '../_components/ui/table';
import { Time } from '../_components/ui/time';
import { AlertActions } from './alert-actions';
import { DestinationButtons, NewDestinationForm } from './destinations';
import { RuleEditor } from './rule-editor';

export const metadata: Metadata = { title: 'Alerts' };
export const dynamic = 'force-dynamic';

/**
 * Firing and resolved alerts with their history, the rules (operators edit them) and the
 * destinations (admins add and remove them; URLs and addresses are shown to admins only).
 */
export default async function AlertsPage() {
  const me = await guardPage('/alerts');
  const db = sharedReadDb();
  const [alerts, rules, destinations] = await Promise.all([
    listAlerts(db),
    listRules(db),
    listDestinations(db, me),
  ]);
  const operate = can(me, 'subscriptions:operate');
  const admin = can(me, 'admin');
  const now = Date.now();
  const firing = alerts.filter((a) => a.state === 'firing');
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold tracking-tight">Alerts</h1>
      <div className="space-y-6">
        <section aria-label="Alerts">
          <h2 className="mb-2 text-sm font-semibold">
            {firing.length === 0 ? 'Nothing firing' : `${firing.length} firing`}
          </h2>
          {alerts.length === 0 ? (
            <EmptyState title="No alerts yet.">
              Rules are checked every few seconds by a worker; what fires is sent to every destination below.
            </EmptyState>
          ) : (
            <Table label="Alerts">
              <thead>
                <tr>
                  <Th>State</Th>
                  <Th>Alert</Th>
                  <Th>Subscription</Th>
                  <Th>How bad</Th>
                  <Th>Since</Th>
                  <Th>Ended</Th>
                  <Th>Handled</Th>
                  <Th numeric>Messages</Th>
                  {operate && <Th>Actions</Th>}
                </tr>
              </thead>
              <tbody>
                {alerts.map((a) => {
                  const silenced = a.silencedUntil !== null && new Date(a.silencedUntil).getTime() > now;
                  return (
                    <tr key={a.id} id={`alert-${a.id}`} className={rowClass}>
                      <Td>
                        <Badge
                          tone={a.state === 'resolved' ? 'good' : a.severity === 'critical' ? 'bad' : 'warn'}
                        >
                          {a.state === 'resolved'
                            ? 'Resolved'
                            : a.severity === 'critical'
                              ? 'Critical'
                              : 'Warning'}
                        </Badge>
                      </Td>
                      <Td>{alertKindInfo[a.kind].title}</Td>
                      <Td>
                        <a className="underline" href={dashboardPath(a.kind, a.subscription)}>
                          {a.subscription}
                        </a>
                      </Td>
                      <Td className="max-w-md truncate" title={a.summary}>
                        {a.summary}
                      </Td>
                      <Td>
                        <Time value={a.since ?? a.startedAt} />
                      </Td>
                      <Td>{a.resolvedAt ? <Time value={a.resolvedAt} /> : '—'}</Td>
                      <Td>
                        {a.acknowledgedAt && (
                          <span>
                            Acknowledged by {a.acknowledgedBy} <Time value={a.acknowledgedAt} />
                          </span>
                        )}
                        {silenced && a.silencedUntil && (
                          <span>
                            {' '}
                            Silenced by {a.silencedBy} until <Time value={a.silencedUntil} absolute />
                          </span>
                        )}
                      </Td>
                      <Td numeric>
                        {a.sent} sent{a.pending ? `, ${a.pending} waiting` : ''}
                        {a.failed ? `, ${a.failed} failed` : ''}
                      </Td>
                      {operate && (
                        <Td>
                          <AlertActions
                            id={a.id}
                            firing={a.state === 'firing'}
                            acknowledged={a.acknowledgedAt !== null}
                            silenced={silenced}
                          />
                        </Td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </Table>
          )}
        </section>

        <Card title="Rules">
          <p className="mb-3 text-xs text-zinc-500">
            A rule for “all subscriptions” applies to each subscription without one of its own. Each alert is
            sent when it starts, again every repeat interval until acknowledged, and once more when it clears.
          </p>
          <ul className="space-y-3 text-sm">
            {rules.map((r) => (
              <li key={r.id} className="border-b border-zinc-100 pb-2 dark:border-zinc-800">
                <div className="mb-1 font-medium">
                  {alertKindInfo[r.kind].title}{' '}
                  <span className="font-normal text-zinc-500">
                    · {r.subscription || 'all subscriptions'} · changed by {r.updatedBy ?? '—'}{' '}
                    <Time value={r.updatedAt} />
                  </span>
                </div>
                {operate ? (
                  <RuleEditor rule={r} />
                ) : (
                  <p>
                    {r.enabled ? 'On' : 'Off'} · {alertKindInfo[r.kind].window} {r.windowSeconds}
                    {alertKindInfo[r.kind].threshold
                      ? ` · ${alertKindInfo[r.kind].threshold} ${r.threshold}`
                      : ''}
                    {alertKindInfo[r.kind].usesMinCount ? ` · at least ${r.minCount}` : ''} · repeat every{' '}
                    {r.repeatSeconds} s
                  </p>
                )}
              </li>
            ))}
            {rules.length === 0 && <li>The default rules are written when a worker first checks them.</li>}
          </ul>
        </Card>

        <Card title="Destinations">
          <Table label="Destinations">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Kind</Th>
                {admin && <Th>Where</Th>}
                <Th>Last message</Th>
                <Th numeric>Waiting</Th>
                {operate && <Th>Actions</Th>}
              </tr>
            </thead>
            <tbody>
              {destinations.map((d) => (
                <tr key={d.id} className={rowClass}>
                  <Td>{d.name}</Td>
                  <Td>
                    {d.kind}
                    {d.kind === 'webhook' ? (d.signed ? ' (signed)' : ' (unsigned)') : ''}
                  </Td>
                  {admin && (
                    <Td className="max-w-xs truncate" title={d.url ?? d.emails?.join(', ') ?? ''}>
                      {d.url ?? d.emails?.join(', ')}
                    </Td>
                  )}
                  <Td>
                    {d.lastState ? (
                      <>
                        {d.lastEvent} {d.lastState}
                        {d.lastError ? ` (${d.lastError})` : ''} {d.lastAt && <Time value={d.lastAt} />}
                      </>
                    ) : (
                      'none yet'
                    )}
                  </Td>
                  <Td numeric>{d.pending}</Td>
                  {operate && (
                    <Td>
                      <DestinationButtons
                        id={d.id}
                        name={d.name}
                        canTest={operate}
                        canRemove={admin && !d.fromEnv}
                      />
                    </Td>
                  )}
                </tr>
              ))}
              {destinations.length === 0 && (
                <tr>
                  <Td colSpan={6}>
                    No destinations: alerts show here only. Set HERALD_ALERT_SLACK_URL or
                    HERALD_ALERT_WEBHOOK_URL, or add one below.
                  </Td>
                </tr>
              )}
            </tbody>
          </Table>
          {admin && (
            <div className="mt-4">
              <NewDestinationForm />
            </div>
          )}
        </Card>
      </div>
    </>
  );
}
