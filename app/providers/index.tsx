'use client';

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { StreamProvider } from './stream';

/** Client-side data for the dashboard: one QueryClient and one live stream per tab. */
export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            // Fresh data comes by invalidation (the stream) or polling, not by focus events.
            staleTime: 30_000,
            refetchOnWindowFocus: false,
            retry: 1,
          },
        },
      }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <StreamProvider>{children}</StreamProvider>
    </QueryClientProvider>
  );
}
