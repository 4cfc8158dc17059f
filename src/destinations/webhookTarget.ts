import { z } from 'zod';

/**
 * Webhook: where under the connection's URL to deliver (`path`, appended), and whether each record
 * is its own request (`delivery: record`, the default) or a batch is one request (`batch`).
 */
export const webhookTargetSchema = z.strictObject({
  connection: z.string(),
  path: z.string().startsWith('/', 'must start with /').optional(),
  delivery: z.enum(['record', 'batch']).default('record'),
});

export type WebhookTarget = z.infer<typeof webhookTargetSchema>;
