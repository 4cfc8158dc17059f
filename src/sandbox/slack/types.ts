/** Public surface of the Slack sandbox emulator (used by `backflow sandbox`, tests and users' CI). */
import type { FaultKind, FaultProfile } from '../faults';

export interface SlackChannelSeed {
  /** Without '#', e.g. `cs-alerts`. */
  name: string;
  /** `C…` id; generated when omitted. */
  id?: string;
  /**
   * Whether the app's bot user is a member (default true). Posting to a public channel it is not in
   * → `not_in_channel` (unless granted `chat:write.public`); a private one it is not in is unlisted
   * and `channel_not_found`.
   */
  member?: boolean;
  archived?: boolean;
  private?: boolean;
}

/** Rate limits, modelled on Slack's: token buckets per method tier, plus chat.postMessage per channel. */
export interface SlackLimits {
  /** Turn every limit off (default true = enforced). */
  enabled: boolean;
  /** chat.postMessage: messages per second per channel (Slack: 1). */
  postMessagePerChannelPerSecond: number;
  /** chat.postMessage: short burst allowed per channel above the steady rate (Slack: "short bursts", unnumbered). */
  postMessageBurst: number;
  /** chat.postMessage: workspace-wide messages per minute (Slack keeps one, unnumbered). */
  postMessageWorkspacePerMinute: number;
  /** Requests per minute per method for Web API tiers 1–4 (Slack: 1+, 20+, 50+, 100+). */
  tierPerMinute: { 1: number; 2: number; 3: number; 4: number };
  /** Incoming webhooks: messages per second per webhook (Slack: 1, short bursts allowed). */
  webhookPerSecond: number;
  webhookBurst: number;
  /**
   * Text over 40,000 characters: Slack truncates it and posts with a `message_truncated` warning
   * ('truncate', the documented default); 'reject' answers `msg_too_long` instead.
   */
  textOverflow: 'truncate' | 'reject';
}

export interface SlackSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Bot token clients must send (`Authorization: Bearer …`, or `token` in a form-encoded POST body); generated when omitted. */
  token?: string;
  /** Channels of the workspace; default `#general` and `#cs-alerts`. */
  channels?: SlackChannelSeed[];
  limits?: Partial<SlackLimits>;
  faults?: FaultProfile;
  /** Milliseconds since the epoch; inject one to step rate-limit windows and `ts` values in tests. */
  clock?: () => number;
  /** Random source for fault picking (default Math.random). */
  random?: () => number;
  /**
   * OAuth scopes granted to the bot token; every scope when omitted. Checked where Slack names the
   * scope a method needs: `chat:write` on chat.postMessage/update/delete, `channels:history` (public)
   * or `groups:history` (private channel) on conversations.history/replies, `channels:read` /
   * `groups:read` (`mpim:read`, `im:read`) for each of conversations.list's `types`. A call without it is
   * answered `missing_scope` with Slack's `needed` and `provided`. `chat:write.public` (post to
   * public channels the app is not in) counts only when listed, never by default.
   */
  scopes?: string[];
  /**
   * The workspace's message edit setting ("Allow members to edit their messages: within N minutes"):
   * chat.update on a message posted longer ago is answered `edit_window_closed`. Default: any time.
   */
  messageEditWindowMinutes?: number;
}

/** Message metadata (chat.postMessage `metadata`): app data on a message, not shown to people. */
export interface SlackMessageMetadata {
  /** Alphanumeric event name, e.g. `task_created`. */
  event_type: string;
  /** Free-form JSON object. */
  event_payload: Record<string, unknown>;
}

/** One stored message, as conversations.history shows it (plus `channel`). */
export interface SlackMessage {
  type: 'message';
  channel: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  /** On a thread's parent: its replies, who wrote them and the newest one's ts. */
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  latest_reply?: string;
  /** On a reply: the user who wrote the thread's parent. */
  parent_user_id?: string;
  user: string;
  bot_id?: string;
  app_id?: string;
  team: string;
  edited?: { user: string; ts: string };
  /** Returned by conversations.history/replies only when asked with `include_all_metadata`. */
  metadata?: SlackMessageMetadata;
  /**
   * `thread_broadcast`: a reply sent with `reply_broadcast`, shown in the channel too; `tombstone`: a
   * deleted parent whose thread still has replies ("This message was deleted.").
   */
  subtype?: 'thread_broadcast' | 'tombstone';
}

export interface SlackRequestLogEntry {
  /** `chat.postMessage`, … or `incoming-webhook`. */
  method: string;
  path: string;
  /** HTTP status answered (0 when left hanging or reset). */
  status: number;
  /** Slack's `error` for `ok:false` answers (and plain-text webhook errors). */
  error: string | undefined;
  fault: FaultKind | undefined;
  at: string;
}

export interface SlackSandbox {
  /** Web API base, ends with `/api/` — pass as `slackApiUrl` to `@slack/web-api`'s WebClient. */
  readonly apiUrl: string;
  readonly token: string;
  /** An incoming webhook (`…/services/T…/B…/…`) that posts to `#general`. */
  readonly webhookUrl: string;
  /** Creates another incoming webhook posting to `channel` (id or name) and returns its URL. */
  createWebhook(channel: string): string;
  /** Every message of a channel (id, `#name` or name), thread replies included, oldest first. */
  messages(channel: string): SlackMessage[];
  /** Posts a message as a human user (one the app cannot edit or delete); returns its ts. */
  postAsUser(channel: string, text: string): string;
  requests(): SlackRequestLogEntry[];
  setFaults(profile: FaultProfile): void;
  setLimits(limits: Partial<SlackLimits>): void;
  /** The bot token's scopes from now on (undefined: every scope); reset() restores the start ones. */
  setScopes(scopes: string[] | undefined): void;
  reset(): void;
  close(): Promise<void>;
}
