/**
 * Slack Web API errors are HTTP 200 `{"ok": false, "error": "<code>"}` (only rate limits use 429);
 * incoming webhooks answer a plain-text code with a meaningful HTTP status instead.
 */

export class SlackApiError extends Error {
  constructor(
    readonly error: string,
    /** Extra top-level fields, e.g. `errors` for invalid_blocks. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
    this.name = 'SlackApiError';
  }

  body(): Record<string, unknown> {
    return { ok: false, error: this.error, ...this.extra };
  }
}

/** Plain-text webhook errors with the status Slack documents for each. */
export const WEBHOOK_ERROR_STATUS: Record<string, number> = {
  invalid_payload: 400,
  no_text: 400,
  invalid_blocks: 400,
  too_many_attachments: 400,
  user_not_found: 400,
  invalid_token: 403,
  action_prohibited: 403,
  channel_not_found: 404,
  no_service: 404,
  channel_is_archived: 410,
  rate_limited: 429,
  rollup_error: 500,
  service_unavailable: 503,
};

export class WebhookError extends Error {
  readonly status: number;

  constructor(readonly code: string) {
    super(code);
    this.name = 'WebhookError';
    this.status = WEBHOOK_ERROR_STATUS[code] ?? 400;
  }
}
