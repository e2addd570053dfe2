/** Enough of RFC 5322 for a sandbox: "Name <a@b.c>" or "a@b.c", comma separated. */
const ADDRESS = /^[^\s@<>",]+@[^\s@<>",]+\.[^\s@<>",]+$/;

/** The addresses in a Postmark To/Cc/Bcc field, lower-cased; `invalid` holds what did not parse. */
export function parseAddressList(field: string | undefined): { addresses: string[]; invalid: string[] } {
  const addresses: string[] = [];
  const invalid: string[] = [];
  for (const part of (field ?? '').split(',')) {
    const text = part.trim();
    if (text === '') continue;
    const address = (/<([^>]*)>\s*$/.exec(text)?.[1] ?? text).trim();
    if (ADDRESS.test(address)) addresses.push(address.toLowerCase());
    else invalid.push(text);
  }
  return { addresses, invalid };
}

/**
 * Postmark's bounce-testing addresses (https://postmarkapp.com/developer/user-guide/sandbox-mode):
 * the sandbox accepts mail to them, then posts a HardBounce webhook and marks them inactive.
 */
export function bouncesOnDelivery(address: string): boolean {
  return address.startsWith('hardbounce@') || address.endsWith('@bounce-testing.postmarkapp.com');
}
