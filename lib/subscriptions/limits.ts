/**
 * How far an operator may tune a subscription (issue #21 item 4), in one place for everything
 * that states it: the operation (lib/operations/tuning.ts), the declarations in code
 * (subscribe(), lib/subscriptions/define.ts), the environment (HERALD_EMAIL_CONCURRENCY,
 * lib/config.ts), the console's Tune dialog, the CLI's help and the API's documentation. The table's CHECK `subscriptions_tuning_valid` (lib/db/schema.ts) spells
 * the same number in SQL; test/subscription-tuning.test.ts fails when the two disagree.
 * No imports: the Tune dialog runs in the browser.
 */

/**
 * Most handlers of one subscription at once in one worker process. The batched email lane runs
 * 2,000 by default (four batches of 500) and HERALD_EMAIL_CONCURRENCY goes up to 10,000, so an
 * operator must be able to set at least that much (the cap was 1,000 until 0026, below the
 * lane's own default).
 */
export const CONCURRENCY_MAX = 10_000;

/** What a concurrency must be, as every refusal of one says it (`concurrency: ${CONCURRENCY_RANGE}`). */
export const CONCURRENCY_RANGE = `an integer from 1 to ${CONCURRENCY_MAX}`;

/** A concurrency inside the bound: an integer from 1 to CONCURRENCY_MAX. */
export function isConcurrency(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= CONCURRENCY_MAX;
}

/** Highest send rate accepted, per second across all workers: beyond any provider's published limit. */
export const RATE_MAX = 100_000;
