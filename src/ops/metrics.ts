import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { z } from 'zod';
import type { RunSummary } from '../state/summary';

/**
 * backflow's own Prometheus metrics, in one registry per process. The worker serves them on
 * BACKFLOW_METRICS_PORT together with the Temporal SDK's metrics (which the SDK's core exports on
 * the next port, loopback only, and the endpoint relays).
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'backflow_process_' });

export const recordsTotal = new Counter({
  name: 'backflow_records_total',
  help: 'Records a run finished with, by result: synced, rejected (by the destination), invalid (never sent).',
  labelNames: ['sync', 'destination', 'result'] as const,
  registers: [registry],
});

export const runDuration = new Histogram({
  name: 'backflow_run_duration_seconds',
  help: 'Wall time of a run, from start to finish, by final status.',
  labelNames: ['sync', 'status'] as const,
  buckets: [1, 5, 15, 60, 300, 900, 3_600, 4 * 3_600],
  registers: [registry],
});

export const apiCallsTotal = new Counter({
  name: 'backflow_api_calls_total',
  help: 'Destination API requests made by runs.',
  labelNames: ['sync', 'destination'] as const,
  registers: [registry],
});

export const rateLimitWaitsTotal = new Counter({
  name: 'backflow_rate_limit_waits_total',
  help: 'Times a batch was refused by a destination rate limit and waited to retry.',
  labelNames: ['sync', 'destination'] as const,
  registers: [registry],
});

/** Counts one finished run (called once per run, when it closes). */
export function recordRunMetrics(summary: RunSummary, destination: string): void {
  const labels = { sync: summary.sync, destination };
  recordsTotal.inc({ ...labels, result: 'synced' }, summary.counts.synced);
  recordsTotal.inc({ ...labels, result: 'rejected' }, summary.counts.rejected);
  recordsTotal.inc({ ...labels, result: 'invalid' }, summary.counts.invalid);
  apiCallsTotal.inc(labels, summary.apiCalls);
  if (summary.finishedAt) {
    const seconds = (Date.parse(summary.finishedAt) - Date.parse(summary.startedAt)) / 1000;
    runDuration.observe({ sync: summary.sync, status: summary.status }, Math.max(0, seconds));
  }
}

const portSchema = z.coerce.number().int().min(1).max(65_534);

export interface MetricsPorts {
  /** The endpoint backflow serves (`GET /metrics`). */
  port: number;
  /** Loopback address the Temporal SDK's own exporter binds (relayed by the endpoint). */
  temporalBindAddress: string;
}

/** BACKFLOW_METRICS_PORT, when set: the endpoint's port, and the next one for the Temporal SDK. */
export function metricsPortsFromEnv(env: NodeJS.ProcessEnv = process.env): MetricsPorts | undefined {
  const raw = env.BACKFLOW_METRICS_PORT;
  if (raw === undefined || raw === '') return undefined;
  const parsed = portSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid environment:\n  BACKFLOW_METRICS_PORT: must be a port number, got "${raw}"`);
  return { port: parsed.data, temporalBindAddress: `127.0.0.1:${parsed.data + 1}` };
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** `GET /metrics`: backflow's registry, then the Temporal SDK's metrics when its exporter answers. */
export async function startMetricsServer(options: { port: number; host?: string; temporalBindAddress?: string }): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '/').split('?')[0] !== '/metrics') {
      response.writeHead(404).end('not found; metrics are at /metrics\n');
      return;
    }
    void (async () => {
      try {
        const own = await registry.metrics();
        let temporal = '';
        if (options.temporalBindAddress) {
          try {
            const answer = await fetch(`http://${options.temporalBindAddress}/metrics`, { signal: AbortSignal.timeout(5_000) });
            if (answer.ok) temporal = await answer.text();
          } catch {
            // The SDK exporter starts with the first worker; until then only backflow's metrics.
          }
        }
        response.writeHead(200, { 'content-type': registry.contentType }).end(`${own}\n${temporal}`);
      } catch (err) {
        response.writeHead(500).end(String(err));
      }
    })();
  });
  server.listen(options.port, options.host ?? '0.0.0.0');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
