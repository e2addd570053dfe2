import { readAfterHeaders } from './read-position';

/** GET JSON from Herald's API; a non-2xx answer throws with the API's error message. */
export async function fetchJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(url, {
    signal,
    headers: { accept: 'application/json', ...readAfterHeaders() },
    cache: 'no-store',
  });
  if (response.status === 401) {
    // The session ended (signed out elsewhere, expired): back to sign-in, then here again.
    const here = window.location.pathname + window.location.search;
    window.location.assign(`/sign-in?next=${encodeURIComponent(here)}`);
  }
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => null);
    const message =
      typeof body === 'object' && body !== null && 'error' in body
        ? String((body as { error: { message?: unknown } }).error.message ?? response.statusText)
        : response.statusText;
    throw new HttpError(response.status, `${response.status}: ${message}`);
  }
  return (await response.json()) as T;
}

/** A response that was not 2xx; `status` lets callers react to a particular refusal. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
