import { z } from 'zod';

/** Meta Custom Audiences: the customer-file audience rows join; mappings' `to` are Meta keys (EMAIL, PHONE, …). */
export const metaAudienceTargetSchema = z.strictObject({
  connection: z.string(),
  /** Quote it in YAML: ids are larger than a JSON number holds exactly. */
  audienceId: z.string().regex(/^\d+$/, 'must be the audience id (digits, quoted)'),
});

export type MetaAudienceTarget = z.infer<typeof metaAudienceTargetSchema>;
