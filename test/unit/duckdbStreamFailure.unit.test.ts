/**
 * A DuckDB model whose query fails part-way, past its first chunks (a cast at row 50,000): DuckDB's
 * streaming result ends as if the rows had run out, so the extract took the rows before the error
 * for the whole model — a run that should fail "succeeded", and in mirror mode the rest counted as removed.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { DuckdbSource } from '../../src/sources/duckdb';
import { getRun } from '../../src/state/runs';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { createTestProject, type TestProject } from '../support/project';
import { rejectionOf } from '../support/rejection';

/** 60,000 rows whose mrr cannot be read at row 50,000: DuckDB has streamed several chunks by then. */
const FAILS_AT_50000 = `SELECT i AS id, 'Account ' || i AS name, (i % 100)::INTEGER AS health, 'neutral' AS segment,
  CAST(CASE WHEN i = 50000 THEN 'n/a' ELSE i::VARCHAR END AS INTEGER) AS mrr FROM range(1, 60001) t(i)`;

describe('a DuckDB query that fails part-way', () => {
  it("fails the stream with DuckDB's own message, after the rows it read, where it ended as if complete", async () => {
    const source = new DuckdbSource(':memory:');
    let rows = 0;
    try {
      const failure = await rejectionOf<{ code?: string; message: string }>(
        (async () => {
          for await (const page of source.stream(FAILS_AT_50000)) rows += page.length;
        })(),
      );
      expect(failure.code).toBe('SOURCE_QUERY_FAILED');
      expect(failure.message).toMatch(/^DuckDB: Conversion Error: Could not convert string 'n\/a' to INT32/);
      expect(rows).toBeGreaterThan(0);
      expect(rows).toBeLessThan(50_000);
      // The connection reads the next model as usual.
      let next = 0;
      for await (const page of source.stream('SELECT * FROM range(70000)')) next += page.length;
      expect(next).toBe(70_000);
    } finally {
      await source.close();
    }
  });

  it('a model ending in a semicolon and a comment gets its message too', async () => {
    const source = new DuckdbSource(':memory:');
    try {
      const failure = await rejectionOf<{ code?: string; message: string }>(
        (async () => {
          for await (const page of source.stream(`${FAILS_AT_50000};\n-- the accounts`)) void page;
        })(),
      );
      expect(failure).toMatchObject({ code: 'SOURCE_QUERY_FAILED', message: expect.stringMatching(/^DuckDB: Conversion Error: Could not convert string 'n\/a'/) as unknown });
    } finally {
      await source.close();
    }
  });

  describe('in a run', () => {
    let sandbox: SalesforceSandbox;
    let project: TestProject;
    beforeAll(async () => {
      sandbox = await startSalesforceSandbox();
      project = await createTestProject(sandbox, { state: 'sqlite' });
      await project.sql(`DROP TABLE accounts; CREATE VIEW accounts AS ${FAILS_AT_50000}`);
    });
    afterAll(async () => {
      await project.close();
      await sandbox.close();
    });

    it("fails the extract for good with DuckDB's message, its snapshot untouched (it took the rows before the error for the whole model)", async () => {
      const activities = createActivities(project.deps);
      const env = new MockActivityEnvironment();
      const { runId } = (await env.run(activities.startRun, { runId: 'sync:accounts_to_salesforce:partway', sync: 'accounts_to_salesforce', full: false })) as { runId: string };
      const failure = await rejectionOf<ApplicationFailure>(env.run(activities.extractChanges, runId));
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure.type).toBe('SOURCE_QUERY_FAILED');
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toMatch(/syncs\/accounts_to_salesforce\.yaml: model: DuckDB: Conversion Error: Could not convert string 'n\/a' to INT32[\s\S]*\(after \d+ rows\)$/);
      const run = await getRun(project.deps.state, runId);
      expect(run.phase).toBe('started');
      expect(sandbox.requests().filter((r) => /sobjects|composite/.test(r.path))).toEqual([]);
    });
  });
});
