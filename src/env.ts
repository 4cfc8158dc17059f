import { z } from 'zod';
import { STATE_URL_PATTERN } from './state/stateUrl';

/** Process environment backflow reads, parsed once; every problem reported together. */
const envSchema = z.object({
  /** host:port of an existing Temporal frontend; unset → the embedded dev server is started. */
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Temporal Cloud API key (sent as a bearer token); TLS goes on with it unless TEMPORAL_TLS=false. */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** `true` / `false`: TLS to the frontend; default on when an API key or any TLS file is given. */
  TEMPORAL_TLS: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
  /** PEM files for (m)TLS: the server's CA, and the client certificate + key (mTLS, both or neither). */
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  /** Name the server certificate is checked against, when it differs from the address's host. */
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** Temporal Web base URL for links, when TEMPORAL_ADDRESS points at your own cluster. */
  TEMPORAL_UI_URL: z.url().optional(),
  BACKFLOW_TASK_QUEUE: z.string().min(1).default('backflow'),
  /** How long a worker stopping on SIGTERM lets in-flight activities finish before handing them back. */
  BACKFLOW_SHUTDOWN_GRACE_TIME: z.string().regex(/^\d+(ms|s|m)$/, 'must be a duration like 500ms, 30s or 2m').optional(),
  /** State store: `sqlite:<path>` (default `sqlite:<project>/.backflow/state.db`) or `postgres://…` for a fleet. */
  BACKFLOW_STATE_URL: z.string().regex(STATE_URL_PATTERN, 'must be sqlite:<path> or postgres://user:password@host:port/database').optional(),
  /** A prebuilt workflow bundle (`bundleWorkflowCode`), so workers start without webpack. */
  BACKFLOW_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /** base64 of a 32-byte AES-256-GCM key: payloads entering Temporal history are encrypted with it (`openssl rand -base64 32`). */
  BACKFLOW_PAYLOAD_KEY: z
    .string()
    .refine(isPayloadKey, 'must be base64 of 32 bytes (openssl rand -base64 32)')
    .optional(),
  /** Keys payloads were encrypted with before BACKFLOW_PAYLOAD_KEY was rotated, comma-separated: decode only, so older histories and schedules still read. */
  BACKFLOW_PAYLOAD_PREVIOUS_KEYS: z
    .string()
    .refine(
      (value) => value.split(',').every((key) => isPayloadKey(key.trim())),
      'must be base64 keys of 32 bytes each, comma-separated (the keys BACKFLOW_PAYLOAD_KEY held before)',
    )
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
});

export type BackflowEnv = z.infer<typeof envSchema>;

/** Every variable backflow reads (deployment files are checked against it). */
export const ENV_NAMES: readonly string[] = Object.keys(envSchema.shape);

export function parseEnv(env: NodeJS.ProcessEnv = process.env): BackflowEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid environment:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

/** BACKFLOW_PAYLOAD_KEY alone (workers and clients read it wherever they are created); a malformed key names the variable. */
export function parsePayloadKey(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const parsed = envSchema.shape.BACKFLOW_PAYLOAD_KEY.safeParse(env.BACKFLOW_PAYLOAD_KEY);
  if (!parsed.success) throw new Error(`invalid environment:\n  BACKFLOW_PAYLOAD_KEY: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data === undefined ? undefined : Buffer.from(parsed.data, 'base64');
}

/** BACKFLOW_PAYLOAD_PREVIOUS_KEYS alone: the keys decode still accepts after a rotation (none when unset). */
export function parsePreviousPayloadKeys(env: NodeJS.ProcessEnv = process.env): Buffer[] {
  const raw = env.BACKFLOW_PAYLOAD_PREVIOUS_KEYS;
  if (raw === undefined || raw.trim() === '') return [];
  const parsed = envSchema.shape.BACKFLOW_PAYLOAD_PREVIOUS_KEYS.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid environment:\n  BACKFLOW_PAYLOAD_PREVIOUS_KEYS: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return raw.split(',').map((key) => Buffer.from(key.trim(), 'base64'));
}

function isPayloadKey(value: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32;
}
