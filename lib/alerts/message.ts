import type { AlertKind } from '../db/schema';
import { alertKindInfo, duration } from './kinds';

/**
 * What every alert message says, whatever the destination: what, since when, how bad, and a link
 * to the dashboard filtered to it. Stored with each queued message (herald.alert_messages.payload)
 * and rendered per destination by ./transport.ts.
 */
export interface AlertMessage {
  event: 'firing' | 'repeat' | 'resolved' | 'test';
  alertId: number | null;
  kind: AlertKind | 'test';
  title: string;
  severity: 'critical' | 'warning' | 'info';
  /** '' for a test message. */
  subscription: string;
  summary: string;
  since: string | null;
  startedAt: string;
  resolvedAt: string | null;
  /** The dashboard view of what the alert is about (filtered), and the alert itself. */
  link: string;
  alertLink: string;
  /** One line for chat and subject lines. */
  text: string;
}

export interface AlertFacts {
  id: number;
  kind: AlertKind;
  subscription: string;
  summary: string;
  since: Date | null;
  startedAt: Date;
  resolvedAt: Date | null;
}

/** The dashboard page that shows what an alert is about, filtered to its subscription. */
export function dashboardPath(kind: AlertKind, subscription: string): string {
  const s = encodeURIComponent(subscription);
  switch (kind) {
    case 'stall':
    case 'oldest_due':
    case 'no_heartbeat':
      return `/events?subscription=${s}&state=pending`;
    case 'failure_rate':
      return `/events?subscription=${s}`;
    case 'dead_growth':
      return `/dead-letters?subscription=${s}`;
    case 'circuit_open':
      return `/subscriptions#${s}`;
  }
}

const join = (base: string, path: string) => `${base.replace(/\/+$/, '')}${path}`;

export function alertMessage(
  event: 'firing' | 'repeat' | 'resolved',
  alert: AlertFacts,
  publicUrl: string,
  now = new Date(),
): AlertMessage {
  const info = alertKindInfo[alert.kind];
  const since = alert.since ?? alert.startedAt;
  const label =
    event === 'resolved'
      ? 'RESOLVED'
      : event === 'repeat'
        ? `STILL ${info.severity.toUpperCase()}`
        : info.severity.toUpperCase();
  const howLong =
    event === 'resolved'
      ? `resolved after ${duration(((alert.resolvedAt ?? now).getTime() - alert.startedAt.getTime()) / 1000)}`
      : `since ${since.toISOString()} (${duration((now.getTime() - since.getTime()) / 1000)})`;
  return {
    event,
    alertId: alert.id,
    kind: alert.kind,
    title: info.title,
    severity: info.severity,
    subscription: alert.subscription,
    summary: alert.summary,
    since: alert.since?.toISOString() ?? null,
    startedAt: alert.startedAt.toISOString(),
    resolvedAt: alert.resolvedAt?.toISOString() ?? null,
    link: join(publicUrl, dashboardPath(alert.kind, alert.subscription)),
    alertLink: join(publicUrl, `/alerts#alert-${alert.id}`),
    text: `[${label}] ${info.title}: ${alert.subscription} — ${alert.summary}, ${howLong}`,
  };
}

export function testMessage(
  destinationName: string,
  actor: string,
  publicUrl: string,
  now = new Date(),
): AlertMessage {
  return {
    event: 'test',
    alertId: null,
    kind: 'test',
    title: 'Test alert',
    severity: 'info',
    subscription: '',
    summary: `a test of the destination ${destinationName}, sent by ${actor}`,
    since: null,
    startedAt: now.toISOString(),
    resolvedAt: null,
    link: join(publicUrl, '/alerts'),
    alertLink: join(publicUrl, '/alerts'),
    text: `[TEST] Herald alert test for ${destinationName}, sent by ${actor}: nothing is wrong`,
  };
}
