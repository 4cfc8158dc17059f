import { z } from 'zod';

/** Process environment backflow reads, parsed once; every problem reported together. */
const envSchema = z.object({
  /** host:port of an existing Temporal frontend; unset → the embedded dev server is started. */
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Temporal Web base URL for links, when TEMPORAL_ADDRESS points at your own cluster. */
  TEMPORAL_UI_URL: z.url().optional(),
  BACKFLOW_TASK_QUEUE: z.string().min(1).default('backflow'),
  /** State store; default `sqlite:<project>/.backflow/state.db`. */
  BACKFLOW_STATE_URL: z.string().regex(/^sqlite:.+/, 'must be sqlite:<path>').optional(),
  /** A prebuilt workflow bundle (`bundleWorkflowCode`), so workers start without webpack. */
  BACKFLOW_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
});

export type BackflowEnv = z.infer<typeof envSchema>;

export function parseEnv(env: NodeJS.ProcessEnv = process.env): BackflowEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid environment:\n${problems.join('\n')}`);
  }
  return parsed.data;
}
