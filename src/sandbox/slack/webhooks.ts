/**
 * Incoming webhooks: `POST /services/T…/B…/<secret>` with a JSON message. Success is the plain
 * text `ok`; failures are plain-text codes with the HTTP status Slack documents for each
 * (invalid_payload 400, no_text 400, no_service 404, channel_not_found 404, channel_is_archived 410).
 */
import { randomBytes } from 'node:crypto';

import { parseBlocks } from './blocks';
import { SlackApiError, WebhookError } from './errors';
import { MAX_TEXT_CHARS } from './methods';
import { APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, slackId, type Workspace } from './store';
import type { SlackMessage } from './types';

export interface IncomingWebhook {
  /** `/services/T…/B…/…` */
  path: string;
  hookId: string;
  channelId: string;
}

export class WebhookRegistry {
  private readonly hooks = new Map<string, IncomingWebhook>();

  create(channelId: string): IncomingWebhook {
    const hookId = slackId('B');
    const secret = randomBytes(18).toString('base64url').replace(/[-_]/g, 'x').slice(0, 24);
    const hook = { path: `/services/${TEAM_ID}/${hookId}/${secret}`, hookId, channelId };
    this.hooks.set(hook.path, hook);
    return hook;
  }

  find(path: string): IncomingWebhook | undefined {
    return this.hooks.get(path);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The message JSON of a webhook request: the body itself, or, form-encoded, its `payload` parameter
 * (Slack takes either: "send the JSON … as a `payload` parameter in a POST").
 */
function payloadText(rawBody: string, contentType: string): string {
  if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) return rawBody;
  return new URLSearchParams(rawBody).get('payload') ?? '';
}

/** Validates and posts one webhook message; throws WebhookError with Slack's code. */
export function deliverWebhook(workspace: Workspace, hook: IncomingWebhook, rawBody: string, contentType = 'application/json'): SlackMessage {
  let payload: unknown;
  try {
    payload = JSON.parse(payloadText(rawBody, contentType)) as unknown;
  } catch {
    throw new WebhookError('invalid_payload');
  }
  if (!isRecord(payload)) throw new WebhookError('invalid_payload');

  // App webhooks always post to the channel chosen when they were created: a `channel` (or
  // username/icon) in the payload is ignored; only legacy custom integrations honoured it.
  const channel = workspace.findChannel(hook.channelId);
  if (channel === undefined) throw new WebhookError('channel_not_found');
  if (channel.archived) throw new WebhookError('channel_is_archived');

  let blocks: unknown[] | undefined;
  try {
    blocks = parseBlocks(payload['blocks']);
  } catch (err) {
    if (err instanceof SlackApiError) throw new WebhookError('invalid_blocks');
    throw err;
  }
  const attachments = payload['attachments'];
  if (Array.isArray(attachments) && attachments.length > 100) throw new WebhookError('too_many_attachments');
  const rawText = payload['text'];
  const text = typeof rawText === 'string' ? rawText : '';
  const hasAttachments = Array.isArray(attachments) && attachments.length > 0;
  if (text.trim() === '' && blocks === undefined && !hasAttachments) throw new WebhookError('no_text');

  const message: SlackMessage = {
    type: 'message',
    channel: channel.id,
    ts: workspace.nextTs(),
    text: text.slice(0, MAX_TEXT_CHARS),
    user: BOT_USER_ID,
    bot_id: BOT_ID,
    app_id: APP_ID,
    team: TEAM_ID,
  };
  if (blocks !== undefined) message.blocks = blocks;
  const threadTs = payload['thread_ts'];
  if (typeof threadTs === 'string' && threadTs !== '') message.thread_ts = threadTs;
  workspace.append(message);
  return message;
}
