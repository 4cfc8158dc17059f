import { z } from 'zod';

/**
 * How far one batch got, saved after every message (WriteContext.checkpoint) so a retried batch
 * never posts a row twice: `done` answers a row without calling Slack again; `pending` is the post
 * that was on the wire when the attempt died, whose outcome is unknown (no answer, or a 5xx) — the
 * retry looks for it in the channel, by the metadata it carried, before posting. A post Slack
 * refused (429, `ok:false`) clears it: nothing to look for.
 */
const progressSchema = z.object({
  done: z.record(z.string(), z.object({ id: z.string(), created: z.boolean() })),
  pending: z
    .object({
      key: z.string(),
      channel: z.string(),
      /** The channel's id when known as the post went (a thread's parent, a name an earlier post answered). */
      channelId: z.string().optional(),
      text: z.string(),
      /** Set for a threaded follow-up (look among the thread's replies). */
      threadTs: z.string().optional(),
      /** Epoch ms when the post was sent. */
      at: z.number(),
      /**
       * This post's own id, sent in its message metadata (postMetadata): how the retry knows its
       * message. Missing from markers saved before posts carried metadata; those are posted again.
       */
      post: z.string().optional(),
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

/**
 * A digest row's destination id: the digest's message, marked as shared. parseMessageId reads it as
 * no message of the row's own, so a sync switched from a digest to a message per row posts each row
 * its message (read as `channel:ts`, every row edited the one digest in turn: all but the last lost),
 * and a mirror sync never deletes a digest other rows are in.
 */
export function digestMessageId(id: string): string {
  return `digest:${id}`;
}

/** The message a row's destination id names as its own; null for none, a digest's, or another destination's id. */
export function parseMessageId(id: string | null): { channel: string; ts: string } | null {
  if (id === null) return null;
  const match = /^([^:]+):(\d+\.\d+)$/.exec(id);
  return match?.[1] && match[2] ? { channel: match[1], ts: match[2] } : null;
}

/** The `event_type` of the message metadata backflow attaches to every message it posts. */
export const POST_EVENT_TYPE = 'backflow_record';

/** A post's identity: the row (or DIGEST_KEY) and the post's own id (PendingPost.post). */
export interface PostRef {
  key: string;
  post: string;
}

export interface PostMetadata {
  event_type: string;
  event_payload: Record<string, string | boolean>;
}

/**
 * The Slack message metadata a post carries (invisible to people, readable by apps through
 * conversations.history/replies with `include_all_metadata`): the sync, run, batch and row it is
 * for — `digest: true` instead of a key for a digest — and the post's own id.
 */
export function postMetadata(where: { syncName: string; runId: string; batchId: string }, ref: PostRef): PostMetadata {
  return {
    event_type: POST_EVENT_TYPE,
    event_payload: {
      sync: where.syncName,
      run: where.runId,
      batch: where.batchId,
      ...(ref.key === DIGEST_KEY ? { digest: true } : { key: ref.key }),
      post: ref.post,
    },
  };
}

/**
 * Whether a message's metadata (as conversations.history returns it) says it is this post: backflow's
 * event type, the same sync, the same row, the same post id. Text plays no part: rows (and syncs)
 * may render the same words.
 */
export function isPostOf(metadata: unknown, syncName: string, ref: PostRef): boolean {
  if (!isRowPost(metadata, ref.key)) return false;
  const payload = (metadata as { event_payload: Record<string, unknown> }).event_payload;
  return payload['sync'] === syncName && payload['post'] === ref.post;
}

/** Whether a message's metadata says it is a backflow post for row `key`, by whichever sync (or name of it). */
export function isRowPost(metadata: unknown, key: string): boolean {
  if (typeof metadata !== 'object' || metadata === null) return false;
  const { event_type: eventType, event_payload: payload } = metadata as { event_type?: unknown; event_payload?: unknown };
  if (eventType !== POST_EVENT_TYPE || typeof payload !== 'object' || payload === null) return false;
  const p = payload as Record<string, unknown>;
  return key === DIGEST_KEY ? p['digest'] === true && p['key'] === undefined : p['key'] === key && p['digest'] === undefined;
}
