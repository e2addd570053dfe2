/**
 * Runs once when the Next.js server starts (not during `next build`): with no users yet, print the
 * first-run setup link (lib/auth/announce.ts). A database that is not reachable yet must not
 * stop the dashboard from starting, so failures are reported and ignored.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { announceSetupLink } = await import('./lib/auth/announce');
  await announceSetupLink().catch((error: unknown) => {
    console.error(
      `[herald] could not issue the setup link: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
}
