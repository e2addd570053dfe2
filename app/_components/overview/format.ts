const integer = new Intl.NumberFormat('en');
const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

/** A count, with "+" when the server stopped counting at its cap. */
export function formatCount(n: number, capped = false): string {
  return `${integer.format(n)}${capped ? '+' : ''}`;
}

export function formatRate(perSecond: number): string {
  return perSecond >= 10 ? integer.format(Math.round(perSecond)) : decimal.format(perSecond);
}

export function formatPercent(ratio: number | null): string {
  if (ratio === null) return '—';
  const pct = ratio * 100;
  return `${pct > 0 && pct < 0.1 ? '<0.1' : decimal.format(pct)} %`;
}

/** 42 s, 7 min, 3 h 05 min, 2 d 4 h. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** An href with the given query parameters, leaving out empty ones. */
export function listHref(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
