import pino from 'pino';
import { startMetricsServer, type MetricsServer } from '../../src/ops/metrics';
import { freePort } from '../../src/temporal/devServer';
import { installTemporalRuntime } from '../../src/temporal/runtime';
import { startSync } from '../../src/temporal/startSync';
import { useSyncFixture } from '../support/fixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_salesforce';
let temporalMetrics = '';

// Before the fixture connects: the runtime (and its Prometheus exporter) is set up once per process.
beforeAll(async () => {
  temporalMetrics = `127.0.0.1:${await freePort()}`;
  installTemporalRuntime(pino({ level: 'error' }, pino.destination(2)), { metricsBindAddress: temporalMetrics });
});
const fx = useSyncFixture();

describe('Prometheus metrics', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => server?.close());

  it('the endpoint serves backflow counters after a run, and the Temporal SDK metrics', async () => {
    server = await startMetricsServer({ port: 0, host: '127.0.0.1', temporalBindAddress: temporalMetrics });
    const taskQueue = uniqueTaskQueue('metrics');
    await fx.project.sql(`UPDATE accounts SET name = '' WHERE id = 3`);
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'partial' });
    });
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    const text = await response.text();
    const labels = `sync="${SYNC}",destination="salesforce"`;
    expect(text).toContain(`backflow_records_total{${labels},result="synced"} 3`);
    expect(text).toContain(`backflow_records_total{${labels},result="rejected"} 1`);
    expect(text).toContain(`backflow_api_calls_total{${labels}} 1`);
    expect(text).toContain(`backflow_run_duration_seconds_count{sync="${SYNC}",status="partial"} 1`);
    expect(text).toContain('# TYPE backflow_rate_limit_waits_total counter');
    // The SDK's own, relayed from its exporter: activity executions of this worker.
    expect(text).toMatch(/^temporal_\w+/m);
  });
});
