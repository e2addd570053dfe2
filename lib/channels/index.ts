import { z } from 'zod';
import { defineChannels } from './registry';

/**
 * The channels this Herald installation knows. Add a channel here and `publish()` checks its
 * payload at compile time (TypeScript) and at run time (zod) everywhere.
 */
export const channels = defineChannels({
  /** An order was approved: the customer should hear about it. */
  'order.approved': z.object({
    orderId: z.string().min(1).max(100),
    customer: z.object({
      email: z.email().max(320),
      name: z.string().min(1).max(200),
    }),
    total: z.number().nonnegative().max(1e9),
    currency: z.string().length(3).default('USD'),
    items: z
      .array(
        z.object({
          name: z.string().min(1).max(200),
          quantity: z.number().int().positive().max(100_000),
          price: z.number().nonnegative().max(1e9),
        }),
      )
      .max(500)
      .optional(),
  }),
  /** Send one email. */
  'email.send': z
    .object({
      to: z.email().max(320),
      subject: z.string().min(1).max(500),
      text: z.string().max(500_000).optional(),
      html: z.string().max(500_000).optional(),
      tag: z.string().max(1000).optional(),
    })
    .refine((m) => m.text !== undefined || m.html !== undefined, {
      message: 'a text or an html body is required',
      path: ['text'],
    }),
  /** Send one text message. */
  sms: z.object({
    to: z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 phone number such as +14155550100'),
    msg: z.string().min(1).max(1600),
  }),
});

export type Channels = typeof channels;
export type ChannelName = keyof Channels & string;
/** What a publisher passes (defaults may be omitted). */
export type PayloadInput<C extends ChannelName> = z.input<Channels[C]>;
/** What a subscriber receives (defaults filled in). */
export type Payload<C extends ChannelName> = z.output<Channels[C]>;
