import { HeraldError } from '../errors';

/** A numeric id from the path; anything else is simply a resource that does not exist. */
export function idParam(raw: string, what: string): number {
  const id = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(id))
    throw new HeraldError('not_found', `no ${what} ${JSON.stringify(raw.slice(0, 40))}`);
  return id;
}
