/**
 * The browser's refetch pacing: runs `fn` at most once per `ms`, at once when idle, then once
 * more at the end of the window if calls arrived meanwhile (so the last change is never
 * dropped). Not to be confused with lib/auth/password-guess-throttle.ts (sign-in guesses, in the
 * database) or lib/auth/api-keys-rate-limit.ts (requests per API key, in the web process).
 */
export function refetchThrottle(fn: () => void, ms: number): { call: () => void; cancel: () => void } {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    timer = undefined;
    last = Date.now();
    fn();
  };
  return {
    call() {
      if (timer) return;
      const wait = last + ms - Date.now();
      if (wait <= 0) run();
      else timer = setTimeout(run, wait);
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
