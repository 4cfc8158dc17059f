import type { Logger } from 'pino';
import { resolveSecrets } from '../config/secrets';
import type { AlertsConfig } from '../config/schema';
import type { IncidentKind } from './incidents';
import { slackEscape } from '../destinations/slackTemplate';
import { retryAfterMs } from '../destinations/webhookDelivery';
import { shownUrl } from '../shownUrl';

export interface AlertEvent {
  type: 'incident.opened' | 'incident.resolved';
  sync: string;
  kind: IncidentKind;
  detail: string;
  runId?: string;
  at: string;
}

const TITLES: Record<IncidentKind, string> = {
  failed: 'run failed',
  rejected: 'too many records rejected',
  stale: 'has not succeeded recently',
  stopped: 'stopped before sending every record',
};

/** The one line a person reads in Slack. */
export function alertText(event: AlertEvent): string {
  const head = event.type === 'incident.opened' ? `:rotating_light: backflow sync ${event.sync}: ${TITLES[event.kind]}` : `:white_check_mark: backflow sync ${event.sync}: recovered (${TITLES[event.kind]})`;
  // The detail quotes receivers, destinations and exceptions: shown literally, never as a mention.
  return `${head}\n${slackEscape(event.detail)}`;
}

export type AlertChannel = 'slack' | 'webhook';

/** The channels an alerts config sends to. */
export function alertChannels(alerts: AlertsConfig): AlertChannel[] {
  return [...(alerts.slack !== undefined ? (['slack'] as const) : []), ...(alerts.webhook !== undefined ? (['webhook'] as const) : [])];
}

export interface AlertDelivery {
  /** Channels that answered 2xx. */
  delivered: AlertChannel[];
  /** Channels that did not, and why (the reason is also logged). */
  failed: Array<{ channel: AlertChannel; reason: string }>;
}

export interface SendAlertOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  file: string;
  /** Send to these channels only (default: every configured one). */
  channels?: readonly AlertChannel[];
  /** Waits before the retries of one delivery (default 250 ms, then 1 s: three tries at most). */
  retryDelaysMs?: readonly number[];
  /** Per try (default 10 s); a try that times out is not retried. */
  timeoutMs?: number;
  /**
   * The longest Retry-After (429, 503) waited for before a retry (default 10 s); one asking longer
   * is not retried now, and the alert stays owed for the next pass.
   */
  maxRetryAfterMs?: number;
}

/** Answers worth trying again within the same delivery: the receiver is busy or a proxy in front of it is. */
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);
const DEFAULT_RETRY_DELAYS_MS = [250, 1000];
const DEFAULT_MAX_RETRY_AFTER_MS = 10_000;

type Attempt = { ok: true } | { ok: false; retry: boolean; reason: string; retryAfterMs?: number };

async function postOnce(channel: AlertChannel, url: string, body: unknown, timeoutMs: number): Promise<Attempt> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      // A redirected POST becomes a body-less GET: the alert would be lost with a 200.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const error = err as Error & { cause?: { code?: string; message?: string } };
    if (error.name === 'TimeoutError') return { ok: false, retry: false, reason: `no answer within ${timeoutMs} ms` };
    const cause = error.cause?.code ?? error.cause?.message;
    return { ok: false, retry: true, reason: cause ? `${error.message} (${cause})` : error.message };
  }
  // The body is not needed; reading it frees the connection.
  await response.arrayBuffer().catch(() => undefined);
  if (response.ok) return { ok: true };
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get('location');
    let to = 'no Location';
    if (location !== null) {
      try {
        to = `redirect to ${shownUrl(new URL(location, url))}`;
      } catch {
        to = 'an unreadable Location';
      }
    }
    return { ok: false, retry: false, reason: `answered ${response.status} (${to}); alerts do not follow redirects: set the URL to the final address` };
  }
  // Slack's incoming webhooks answer a burst (many syncs failing at once) 429 with the seconds to wait.
  const retryAfter = retryAfterMs(response.headers.get('retry-after'));
  return {
    ok: false,
    retry: TRANSIENT_STATUSES.has(response.status),
    reason: `answered ${response.status}${retryAfter !== undefined ? ` (Retry-After ${Math.ceil(retryAfter / 1000)} s)` : ''}`,
    ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
  };
}

/**
 * Sends one alert to each configured channel (or to `options.channels`): Slack incoming webhook
 * (`{"text": …}`) and/or a generic webhook (the event as JSON). A busy receiver (429, 5xx) or a
 * dropped connection is tried again twice within the call, briefly, or after the Retry-After it
 * gives (up to `maxRetryAfterMs`); a redirect is a failure. Never
 * throws: a channel it could not reach is logged and returned in `failed`, for the caller to try
 * again later.
 */
export async function sendAlert(alerts: AlertsConfig, event: AlertEvent, options: SendAlertOptions): Promise<AlertDelivery> {
  const channels = (options.channels ?? alertChannels(alerts)).filter((channel) => alerts[channel] !== undefined);
  const result: AlertDelivery = { delivered: [], failed: [] };
  if (channels.length === 0) return result;
  let urls: { slack?: string; webhook?: string };
  try {
    const wanted = Object.fromEntries(channels.map((channel) => [channel, alerts[channel]]));
    urls = resolveSecrets(wanted, { file: options.file, path: 'alerts' }, options.env);
  } catch (err) {
    options.logger.warn({ err, sync: event.sync }, 'alert not sent: its URL is not configured');
    return { delivered: [], failed: channels.map((channel) => ({ channel, reason: 'its URL is not configured' })) };
  }
  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  await Promise.all(
    channels.map(async (channel) => {
      const url = urls[channel];
      if (!url) {
        result.failed.push({ channel, reason: 'its URL is empty' });
        return;
      }
      const body = channel === 'slack' ? { text: alertText(event) } : event;
      let attempt: Attempt;
      let tries = 0;
      for (;;) {
        attempt = await postOnce(channel, url, body, timeoutMs);
        tries++;
        if (attempt.ok || !attempt.retry || tries > delays.length) break;
        // A retry sooner than the receiver asked is refused again; a wait too long for now is left to the next pass.
        const asked = attempt.retryAfterMs ?? 0;
        if (asked > maxRetryAfterMs) break;
        await new Promise((resolve) => setTimeout(resolve, Math.max(delays[tries - 1] ?? 0, asked)));
      }
      if (attempt.ok) {
        result.delivered.push(channel);
        return;
      }
      let shown: string;
      try {
        shown = shownUrl(new URL(url));
      } catch {
        shown = 'an unreadable URL';
      }
      const reason = `${event.type} (${event.kind}) to ${shown}: ${attempt.reason}${tries > 1 ? ` (${tries} tries)` : ''}`;
      result.failed.push({ channel, reason });
      options.logger.warn({ channel, err: reason, sync: event.sync }, 'alert delivery failed');
    }),
  );
  return result;
}
