import { z } from 'zod';
import { conditionProblem, conditionTemplate, templateProblem } from './slackTemplate';

/** A Liquid template, checked for syntax when the sync is loaded. */
const liquidTemplate = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    const problem = templateProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: `invalid Liquid template: ${problem}` });
  });

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * Which rows get a message. Either a Liquid condition over the mapped fields
 * (`segment == "at-risk" and health < 40`), or a simple filter on one mapped field:
 * `{ field: segment, equals: at-risk }` or `{ field: segment, in: [at-risk, churned] }`
 * (values compare as text, so `equals: 40` matches 40 and "40").
 */
export const whenSchema = z.union([
  z
    .string()
    .min(1)
    .superRefine((expression, ctx) => {
      const problem = templateProblem(conditionTemplate(expression)) ?? conditionProblem(expression);
      if (problem) ctx.addIssue({ code: 'custom', message: `invalid Liquid condition: ${problem}` });
    }),
  z
    .strictObject({ field: z.string().min(1), equals: scalar.optional(), in: z.array(scalar).min(1).optional() })
    .refine((filter) => (filter.equals === undefined) !== (filter.in === undefined), {
      message: 'give either equals or in, not both or neither',
    }),
]);

export type WhenFilter = z.infer<typeof whenSchema>;

/**
 * One message per batch instead of one per row: a title (Liquid over `count`, `shown`, `more`)
 * and the top N rows rendered with `template`, ordered by `sortBy` when given.
 */
export const digestSchema = z.strictObject({
  top: z.number().int().min(0).max(100).default(10),
  title: liquidTemplate.default('{{ count }} records changed'),
  sortBy: z.string().min(1).optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
});

export type DigestSettings = z.infer<typeof digestSchema>;

const messageFields = {
  connection: z.string(),
  /** Liquid over the mapped fields (each mapping's `to`) and `key`. */
  template: liquidTemplate,
  when: whenSchema.optional(),
  digest: digestSchema.optional(),
};

/**
 * Slack (bot token): a channel fixed (`#cs-alerts` or an id) or taken from a mapped field
 * (`channelFrom`); a changed row edits its message in place (`onChange: update`) or gets a threaded
 * follow-up under it (`thread`).
 */
export const slackTargetSchema = z
  .strictObject({
    ...messageFields,
    channel: z.string().min(1).optional(),
    channelFrom: z.string().min(1).optional(),
    onChange: z.enum(['update', 'thread']).default('update'),
  })
  .superRefine((target, ctx) => {
    if ((target.channel === undefined) === (target.channelFrom === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['channel'], message: 'give either channel (like "#cs-alerts") or channelFrom (a mapped field), not both or neither' });
    }
    if (target.digest && target.channel === undefined) {
      ctx.addIssue({ code: 'custom', path: ['digest'], message: 'a digest goes to one channel: set channel, not channelFrom' });
    }
  });

export type SlackTarget = z.infer<typeof slackTargetSchema>;

/** Slack incoming webhook: the channel is the webhook's own; messages are only ever posted. */
export const slackWebhookTargetSchema = z.strictObject(messageFields);

export type SlackWebhookTarget = z.infer<typeof slackWebhookTargetSchema>;
