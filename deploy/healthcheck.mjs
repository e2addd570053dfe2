// The container's health probe (deploy/Dockerfile): exit 0 when GET /api/health answers 200 —
// the web server is up, the database answers and some worker beat within the last 60 s — else 1.
// Node only, since the slim image has no curl. Usage: node deploy/healthcheck.mjs [url]
const url = process.argv[2] ?? `http://127.0.0.1:${process.env.PORT || 3000}/api/health`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  const body = await response.text();
  if (response.status !== 200)
    process.stderr.write(`${url}: HTTP ${response.status} ${body.slice(0, 300)}\n`);
  process.exit(response.status === 200 ? 0 : 1);
} catch (error) {
  process.stderr.write(`${url}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
