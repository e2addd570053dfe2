/**
 * Drizzle's node-postgres driver asks for timestamps as text (`2026-05-01 12:00:00.123+00`) so
 * it can map them itself; raw `db.execute` rows therefore hold strings. Rows are turned into
 * Dates here, once, so the API always answers RFC 3339 times.
 */
export function asDate(value: Date | string): Date;
export function asDate(value: Date | string | null): Date | null;
export function asDate(value: Date | string | null): Date | null {
  if (value === null || value instanceof Date) return value;
  return new Date(value);
}
