import { z } from 'zod';

/**
 * How far one batch got, saved after every message (WriteContext.checkpoint) so a retried batch
 * never posts a row twice: `done` answers a row without calling Slack again; `pending` is the post
 * that was on the wire when the attempt died — the retry looks for it in the channel before posting.
 */
const progressSchema = z.object({
  done: z.record(z.string(), z.object({ id: z.string(), created: z.boolean() })),
  pending: z
    .object({
      key: z.string(),
      channel: z.string(),
      text: z.string(),
      /** Set for a threaded follow-up (look among the thread's replies). */
      threadTs: z.string().optional(),
      /** Epoch ms when the post was sent. */
      at: z.number(),
    })
    .optional(),
});

export type SlackProgress = z.infer<typeof progressSchema>;
export type PendingPost = NonNullable<SlackProgress['pending']>;

export function parseProgress(checkpoint: string | null): SlackProgress {
  if (checkpoint === null) return { done: {} };
  const parsed = progressSchema.safeParse(JSON.parse(checkpoint));
  return parsed.success ? parsed.data : { done: {} };
}

/** The key under which a digest's message is kept in `done`. */
export const DIGEST_KEY = '\u0000digest';

/** `channel:ts` — what backflow stores as a row's destination id, so a change can edit the message. */
export function messageId(channel: string, ts: string): string {
  return `${channel}:${ts}`;
}

export function parseMessageId(id: string | null): { channel: string; ts: string } | null {
  if (id === null) return null;
  const match = /^([^:]+):(\d+\.\d+)$/.exec(id);
  return match?.[1] && match[2] ? { channel: match[1], ts: match[2] } : null;
}
