'use client';

import { Toaster as Sonner, toast } from 'sonner';

/**
 * Toasts for finished actions ("40 deliveries queued for replay — view"): sonner, bottom
 * right, following the system's light or dark scheme like the rest of the console.
 */
export function Toaster() {
  return <Sonner position="bottom-right" theme="system" richColors closeButton />;
}

export { toast };
