import type pg from 'pg';
import type { EmailSettings } from '../email/config';
import type { Logger } from '../log';
import { evaluateAlerts } from './evaluate';
import { AlertSender } from './sender';
import type { EnvDestination } from './settings';

export interface AlertRunnerOptions {
  pool: pg.Pool;
  log: Logger;
  /** How often the rules are checked (HERALD_ALERT_INTERVAL_MS). */
  intervalMs: number;
  /** Longest one alert request may take (HERALD_ALERT_TIMEOUT_MS). */
  timeoutMs: number;
  publicUrl: string;
  envDestinations: EnvDestination[];
  email: () => EmailSettings;
  /** How often queued messages are looked for (default 500 ms). */
  sendIntervalMs?: number;
}

/**
 * The alerts' part of a worker's maintenance: evaluate the rules every interval (one process at
 * a time wins the lock) and send queued messages (any process; each destination on its own).
 * Its own timers, so a slow rollup or retention run never delays an alert.
 */
export class AlertRunner {
  private readonly timers: NodeJS.Timeout[] = [];
  private evaluating = false;
  private claiming = false;
  readonly sender: AlertSender;

  constructor(private readonly options: AlertRunnerOptions) {
    this.sender = new AlertSender({
      pool: options.pool,
      log: options.log,
      transport: { timeoutMs: options.timeoutMs, email: options.email },
    });
  }

  start() {
    const every = (ms: number, fn: () => Promise<void>) => {
      const timer = setInterval(() => void fn(), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.intervalMs, () => this.evaluate());
    every(this.options.sendIntervalMs ?? 500, () => this.send());
  }

  async evaluate(): Promise<void> {
    if (this.evaluating) return;
    this.evaluating = true;
    try {
      const r = await evaluateAlerts(this.options.pool, {
        publicUrl: this.options.publicUrl,
        envDestinations: this.options.envDestinations,
      });
      if (r.fired || r.resolved) this.options.log.info(r, 'alerts changed');
      if (r.fired || r.resolved || r.repeated) await this.send();
    } catch (error) {
      this.options.log.warn({ err: String((error as Error).message) }, 'alert evaluation failed');
    } finally {
      this.evaluating = false;
    }
  }

  async send(): Promise<void> {
    if (this.claiming) return;
    this.claiming = true;
    try {
      await this.sender.tick();
    } catch (error) {
      this.options.log.warn({ err: String((error as Error).message) }, 'alert sending failed');
    } finally {
      this.claiming = false;
    }
  }

  /** Stops the timers and waits for sends under way (each ends within its timeout). */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    while (this.evaluating || this.claiming) await new Promise((r) => setTimeout(r, 20));
    await this.sender.idle();
  }
}
