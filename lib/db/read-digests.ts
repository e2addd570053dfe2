/**
 * The fixed `digest` of each read-load refusal (lib/db/reads.ts). Next.js keeps an error's own
 * digest and hides its message in production, so app/error.tsx tells them apart by these. Kept
 * apart from reads.ts so the browser bundle imports nothing else.
 */
export const READ_DIGESTS = {
  read_timeout: 'herald-read-timeout',
  too_many_reads: 'herald-too-many-reads',
} as const;
