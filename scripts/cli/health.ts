/**
 * Polls `/api/health` until it answers 200 — web server up, database reachable, a worker
 * heartbeat recorded — so "ready" is printed only when Herald really is. Gives up when
 * `abandoned()` turns true (a child died, or the user pressed Ctrl-C).
 */
export async function waitForHealth(port: number, abandoned: () => boolean, timeoutMs: number) {
  const url = `http://127.0.0.1:${port}/api/health`;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (abandoned()) return false;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (response.status === 200) return true;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} was not healthy within ${Math.round(timeoutMs / 1000)} s (last: ${last})`);
}
