import type { Payload } from '../channels';
import type { OutgoingEmail } from './postmark';

type Order = Payload<'order.approved'>;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Everything from the payload goes through this before it reaches the HTML body. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * One formatter per currency, made once: building an Intl.NumberFormat costs some 60 µs, paid
 * twice per email it was most of a worker's CPU sending batches (bench:email profile).
 */
const moneyFormats = new Map<string, Intl.NumberFormat | null>();

function formatMoney(amount: number, currency: string): string {
  let format = moneyFormats.get(currency);
  if (format === undefined) {
    try {
      format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    } catch {
      format = null; // an ISO-looking code Intl does not know
    }
    // Currency codes come from payloads: keep the cache from growing without bound.
    if (moneyFormats.size < 1_000) moneyFormats.set(currency, format);
  }
  // Unknown to Intl: still say the amount plainly.
  return format ? format.format(amount) : `${amount.toFixed(2)} ${currency}`;
}

/** The order confirmation a customer receives: a clear text part and an HTML part. */
export function renderOrderConfirmation(order: Order): OutgoingEmail {
  const money = (n: number) => formatMoney(n, order.currency);
  const items = order.items ?? [];
  const subject = `Your order ${order.orderId} is confirmed`;

  const textLines = [
    `Hello ${order.customer.name},`,
    '',
    `Thank you for your order. Order ${order.orderId} has been approved and is on its way to being fulfilled.`,
    '',
    ...(items.length > 0
      ? ['Items:', ...items.map((i) => `  ${i.quantity} × ${i.name} — ${money(i.price * i.quantity)}`), '']
      : []),
    `Total: ${money(order.total)}`,
    '',
    'If anything looks wrong, simply reply to this email.',
  ];

  const rows = items
    .map(
      (i) =>
        `<tr><td>${escapeHtml(i.name)}</td><td style="text-align:right">${i.quantity}</td>` +
        `<td style="text-align:right">${escapeHtml(money(i.price * i.quantity))}</td></tr>`,
    )
    .join('');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">',
    `<p>Hello ${escapeHtml(order.customer.name)},</p>`,
    `<p>Thank you for your order. Order <strong>${escapeHtml(order.orderId)}</strong> has been approved.</p>`,
    items.length > 0
      ? `<table cellpadding="4"><thead><tr><th style="text-align:left">Item</th><th>Qty</th><th>Amount</th></tr></thead><tbody>${rows}</tbody></table>`
      : '',
    `<p><strong>Total: ${escapeHtml(money(order.total))}</strong></p>`,
    '<p>If anything looks wrong, simply reply to this email.</p>',
    '</body></html>',
  ].join('');

  return {
    to: order.customer.email,
    subject,
    textBody: textLines.join('\n'),
    htmlBody: html,
    tag: 'order-confirmation',
    metadata: { orderId: order.orderId },
  };
}
