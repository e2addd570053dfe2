import type { Permission } from './principal';

/**
 * Who may open each page and call each route handler under app/: the declaration that
 * test/routes-protected.test.ts holds every file to. A page or route that is missing here fails
 * that test, and so does one whose behaviour differs from what it says here (anonymous → 401 or
 * a redirect to /sign-in; each role → allowed exactly when its permissions include this one).
 *
 * `public` means reachable without a session; each public entry says why.
 */
export type Access = Permission | 'public';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export const pageAccess = {
  '/': 'read',
  '/account': 'read',
  '/audit': 'read',
  '/deliveries/[id]': 'read',
  '/live': 'read',
  '/sandbox': 'read',
  '/events': 'read',
  '/events/[id]': 'read',
  '/lookup': 'read',
  '/dead-letters': 'read',
  '/subscriptions': 'read',
  '/alerts': 'read',
  '/admin/users': 'admin',
  '/admin/api-keys': 'admin',
  /** Where people without a session go. */
  '/sign-in': 'public',
  /** First run: the setup token in the link is the credential. */
  '/setup': 'public',
  /** The HTTP API reference, rendered from the OpenAPI document that is public too. */
  '/api-docs': 'public',
} as const satisfies Record<string, Access>;

export type PagePath = keyof typeof pageAccess;

export const routeAccess: Record<string, Partial<Record<HttpMethod, Access>>> = {
  /** Probes and the start command; says nothing secret. */
  '/api/health': { GET: 'public' },
  /** Prometheus sends HERALD_METRICS_TOKEN, checked by the route (404 while no token is set). */
  '/api/metrics': { GET: 'public' },
  /** Postmark authenticates with HTTP basic auth in the webhook URL, checked by the route. */
  '/api/v1/webhooks/postmark': { POST: 'public' },
  /** The API reference, the same for everyone. */
  '/api/v1/openapi.json': { GET: 'public' },
  /** Checks the password itself; throttled per account and address. */
  '/api/auth/sign-in': { POST: 'public' },
  /** The setup token is the credential. */
  '/api/auth/setup': { POST: 'public' },
  '/api/auth/sign-out': { POST: 'read' },
  '/api/auth/password': { POST: 'read' },
  '/api/auth/users': { GET: 'admin', POST: 'admin' },
  '/api/auth/users/[id]': { PATCH: 'admin' },
  '/api/auth/api-keys': { GET: 'admin', POST: 'admin' },
  '/api/auth/api-keys/[key]': { DELETE: 'admin' },
  '/api/v1/events': { GET: 'read', POST: 'publish' },
  '/api/v1/events/batch': { POST: 'publish' },
  '/api/v1/events/[id]': { GET: 'read' },
  '/api/v1/deliveries': { GET: 'read' },
  '/api/v1/feed': { GET: 'read' },
  '/api/v1/overview': { GET: 'read' },
  '/api/v1/sandbox': { GET: 'read', PATCH: 'subscriptions:operate' },
  /** Server-sent events for the live dashboard: a session (or a read key) like any read. */
  '/api/v1/stream': { GET: 'read' },
  '/api/v1/deliveries/replay': { POST: 'deliveries:bulk' },
  '/api/v1/deliveries/[id]/replay': { POST: 'deliveries:act' },
  '/api/v1/deliveries/[id]/retry': { POST: 'deliveries:act' },
  '/api/v1/deliveries/[id]/discard': { POST: 'deliveries:discard' },
  '/api/v1/subscriptions/[name]/pause': { POST: 'subscriptions:operate' },
  '/api/v1/subscriptions/[name]/resume': { POST: 'subscriptions:operate' },
  '/api/v1/subscriptions/[name]/tuning': { GET: 'read', PATCH: 'subscriptions:operate' },
  '/api/v1/alerts': { GET: 'read' },
  '/api/v1/alerts/[id]/acknowledge': { POST: 'subscriptions:operate' },
  '/api/v1/alerts/[id]/silence': { POST: 'subscriptions:operate' },
  '/api/v1/alerts/rules': { PUT: 'subscriptions:operate' },
  '/api/v1/alerts/destinations': { POST: 'admin' },
  '/api/v1/alerts/destinations/[id]': { DELETE: 'admin' },
  '/api/v1/alerts/destinations/[id]/test': { POST: 'subscriptions:operate' },
};
