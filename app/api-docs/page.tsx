import type { Metadata } from 'next';
import { openApiDocument } from '@/lib/http/openapi';

export const metadata: Metadata = { title: 'HTTP API' };

/**
 * The HTTP API reference, rendered on the server from the same OpenAPI document that
 * /api/v1/openapi.json serves (itself generated from the routes' zod schemas). No client code.
 */
type Json = Record<string, unknown>;
type Operation = {
  operationId: string;
  summary: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Json }[];
  requestBody?: { content: Record<string, { schema: Json }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Json }> }>;
};

const methods = ['get', 'post', 'put', 'patch', 'delete'] as const;

function refName(schema: Json | undefined): string | undefined {
  const ref = schema?.$ref;
  return typeof ref === 'string' ? ref.replace('#/components/schemas/', '') : undefined;
}

function typeOf(schema: Json | undefined): string {
  if (!schema) return '';
  if (Array.isArray(schema.enum)) return schema.enum.join(' | ');
  const t = schema.type;
  return Array.isArray(t) ? t.join(' | ') : typeof t === 'string' ? t : (refName(schema) ?? 'any');
}

/** GET reads, POST creates or acts, PUT and PATCH change, DELETE removes. */
const methodColour: Record<string, string> = {
  get: 'bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-100',
  post: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100',
  put: 'bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100',
  patch: 'bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100',
  delete: 'bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-100',
};

export default function ApiDocsPage() {
  const doc = openApiDocument() as {
    info: { title: string; description: string; version: string };
    paths: Record<string, Partial<Record<(typeof methods)[number], Operation>>>;
    components: { schemas: Record<string, Json> };
  };
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    methods.flatMap((m) => (item[m] ? [{ path, method: m, op: item[m] }] : [])),
  );
  return (
    <>
      <h1 className="mb-2 text-2xl font-semibold tracking-tight">{doc.info.title}</h1>
      <p className="mb-2 max-w-3xl text-sm text-zinc-600 dark:text-zinc-400">{doc.info.description}</p>
      <p className="mb-8 text-sm">
        Machine-readable:{' '}
        <a className="underline" href="/api/v1/openapi.json">
          /api/v1/openapi.json
        </a>{' '}
        (OpenAPI 3.1, version {doc.info.version})
      </p>
      <nav aria-label="Endpoints" className="mb-10">
        <ul className="space-y-1 text-sm">
          {operations.map(({ path, method, op }) => (
            <li key={op.operationId}>
              <a href={`#${op.operationId}`} className="font-mono hover:underline">
                <span className="inline-block w-16 uppercase">{method}</span> {path}
              </a>{' '}
              <span className="text-zinc-500">— {op.summary}</span>
            </li>
          ))}
        </ul>
      </nav>
      {operations.map(({ path, method, op }) => {
        const body = refName(op.requestBody?.content['application/json']?.schema);
        return (
          <section
            key={op.operationId}
            id={op.operationId}
            className="mb-10 scroll-mt-6"
            aria-labelledby={`${op.operationId}-h`}
          >
            <h2 id={`${op.operationId}-h`} className="mb-2 flex items-center gap-3 font-mono text-base">
              <span
                className={`rounded px-2 py-0.5 text-xs font-semibold uppercase ${methodColour[method] ?? ''}`}
              >
                {method}
              </span>
              {path}
            </h2>
            <p className="mb-3 text-sm">{op.summary}</p>
            {op.parameters && op.parameters.length > 0 && (
              <table className="mb-3 w-full max-w-3xl text-left text-sm">
                <thead className="text-xs uppercase text-zinc-500">
                  <tr>
                    <th className="py-1 pr-4 font-medium">Parameter</th>
                    <th className="py-1 pr-4 font-medium">In</th>
                    <th className="py-1 pr-4 font-medium">Type</th>
                    <th className="py-1 font-medium">Description</th>
                  </tr>
                </thead>
                <tbody>
                  {op.parameters.map((p) => (
                    <tr key={`${p.in}-${p.name}`} className="border-t border-zinc-200 dark:border-zinc-800">
                      <td className="py-1 pr-4 font-mono">
                        {p.name}
                        {p.required ? ' *' : ''}
                      </td>
                      <td className="py-1 pr-4">{p.in}</td>
                      <td className="py-1 pr-4 font-mono text-xs">{typeOf(p.schema)}</td>
                      <td className="py-1 text-zinc-600 dark:text-zinc-400">{p.description ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {body && (
              <details className="mb-3 text-sm">
                <summary className="cursor-pointer">
                  Request body: <code>{body}</code>
                </summary>
                <pre className="mt-2 max-h-96 overflow-auto rounded bg-zinc-100 p-3 text-xs dark:bg-zinc-900">
                  {JSON.stringify(doc.components.schemas[body], null, 2)}
                </pre>
              </details>
            )}
            <ul className="text-sm">
              {Object.entries(op.responses).map(([status, r]) => {
                const schema = refName(r.content?.['application/json']?.schema);
                return (
                  <li key={status}>
                    <span className="font-mono">{status}</span> {r.description}
                    {schema && schema !== 'Error' ? (
                      <>
                        {' '}
                        → <code>{schema}</code>
                      </>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          </section>
        );
      })}
      <section aria-labelledby="schemas-h" className="mb-10">
        <h2 id="schemas-h" className="mb-3 text-sm font-semibold uppercase tracking-wide text-zinc-500">
          Schemas
        </h2>
        {Object.entries(doc.components.schemas).map(([name, schema]) => (
          <details key={name} id={`schema-${name}`} className="mb-2 text-sm">
            <summary className="cursor-pointer font-mono">{name}</summary>
            <pre className="mt-2 max-h-96 overflow-auto rounded bg-zinc-100 p-3 text-xs dark:bg-zinc-900">
              {JSON.stringify(schema, null, 2)}
            </pre>
          </details>
        ))}
      </section>
    </>
  );
}
