// @ts-check
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

/** Modules with side effects that must never reach deterministic workflow code. */
const connectorSdks = [
  'jsforce',
  '@hubspot/api-client',
  '@slack/web-api',
  '@google-cloud/bigquery',
  'pg',
  'better-sqlite3',
  '@duckdb/node-api',
  'kysely',
  'pino',
  'fastify',
  '@temporalio/activity',
  '@temporalio/worker',
  '@temporalio/client',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.backflow/**', 'dist/**', 'coverage/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['bin/**/*.js', '*.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Workflows are replayed deterministically inside Temporal's sandbox: no I/O, no Node built-ins, no SDKs.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...builtinModules.flatMap((name) => [name, `node:${name}`]).map((name) => ({
              name,
              message: 'Node built-ins are not allowed in workflows/ (non-deterministic); do it in an activity.',
            })),
            ...connectorSdks.map((name) => ({
              name,
              message: 'Side-effecting modules are not allowed in workflows/; do it in an activity.',
              allowTypeImports: true,
            })),
          ],
          patterns: [
            {
              group: ['../src/**', '../activities', '../activities/**'],
              message: 'Workflows import only types from activities and src/.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
