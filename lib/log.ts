import pino from 'pino';

/**
 * Structured JSON logs. Event and delivery ids go in fields; payloads and secrets never do.
 */
export function createLogger(name: string) {
  return pino({
    name,
    level: process.env.LOG_LEVEL || 'info',
    redact: {
      paths: ['password', 'token', 'secret', 'authorization', '*.password', '*.token'],
      remove: true,
    },
  });
}

export type Logger = pino.Logger;
