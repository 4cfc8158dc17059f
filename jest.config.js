/** Two projects: fast pure-logic unit tests, and integration tests against the real Temporal dev server. */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };

/** @type {import('jest').Config} */
module.exports = {
  // Global, not per project: integration tests wait on real servers and activity retries.
  testTimeout: 120_000,
  // Two test files at a time, also on a 2-core machine (jest's default there is one): integration
  // tests spend much of their time waiting on servers, CLI processes and timers.
  maxWorkers: 2,
  // Runs after the projects' own global hooks (which start and stop the servers).
  globalSetup: '<rootDir>/test/support/scratchDirSetup.ts',
  globalTeardown: '<rootDir>/test/support/scratchDirTeardown.ts',
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/**/*.unit.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/**/*.integration.test.ts'],
      globalSetup: '<rootDir>/test/support/globalSetup.ts',
      globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
    },
  ],
};
