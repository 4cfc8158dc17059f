import type { Logger } from 'pino';
import { resolveSecrets } from '../config/secrets';
import type { AlertsConfig } from '../config/schema';
import type { IncidentKind } from './incidents';

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
  return `${head}\n${event.detail}`;
}

/**
 * Sends one alert to each configured channel: Slack incoming webhook (`{"text": …}`) and/or a
 * generic webhook (the event as JSON). Best-effort: a failed delivery is logged, never thrown.
 */
export async function sendAlert(
  alerts: AlertsConfig,
  event: AlertEvent,
  options: { env: NodeJS.ProcessEnv; logger: Logger; file: string },
): Promise<void> {
  let urls: { slack?: string; webhook?: string };
  try {
    urls = resolveSecrets({ ...(alerts.slack ? { slack: alerts.slack } : {}), ...(alerts.webhook ? { webhook: alerts.webhook } : {}) }, { file: options.file, path: 'alerts' }, options.env);
  } catch (err) {
    options.logger.warn({ err, sync: event.sync }, 'alert not sent: its URL is not configured');
    return;
  }
  const posts: Array<[string, string, unknown]> = [];
  if (urls.slack) posts.push(['slack', urls.slack, { text: alertText(event) }]);
  if (urls.webhook) posts.push(['webhook', urls.webhook, event]);
  await Promise.all(
    posts.map(async ([channel, url, body]) => {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        if (!response.ok) options.logger.warn({ channel, status: response.status, sync: event.sync }, 'alert delivery refused');
      } catch (err) {
        options.logger.warn({ channel, err: (err as Error).message, sync: event.sync }, 'alert delivery failed');
      }
    }),
  );
}
