/**
 * Typed configuration, read from the environment and validated when the container's
 * app is composed (lib/app.ts). A missing or malformed variable fails the cold start
 * with a message that names it, instead of failing the first request that needs it.
 */
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url().optional())
  .optional();

/** The most HOLD_LIMIT_PER_CONCERT may be: one payment of that many seats is 5 + 2 x 10 = 25 transaction items (DynamoDB allows 100). */
export const HOLD_LIMIT_MAX = 10;

const schema = z.object({
  STAGE: z.string().min(1).default('local'),
  AWS_REGION: z.string().min(1).default('us-east-1'),

  // Endpoints: empty means "the real AWS endpoint for the region".
  DYNAMODB_ENDPOINT: optionalUrl,
  SQS_ENDPOINT: optionalUrl,
  REDIS_URL: z.string().min(1).default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER: bool.default(false),
  // AUTH password (ElastiCache AUTH token); on deployed stages it comes from SSM
  // (REDIS_PASSWORD_PARAMETER, lib/secrets.ts), never from a plain environment variable.
  REDIS_PASSWORD: z.string().optional(),

  TABLE_CONCERTS: z.string().min(1).default('concert-ticketing-local-concerts'),
  TABLE_SEATS: z.string().min(1).default('concert-ticketing-local-seats'),
  TABLE_RESERVATIONS: z.string().min(1).default('concert-ticketing-local-reservations'),
  TABLE_ACCOUNTS: z.string().min(1).default('concert-ticketing-local-accounts'),
  HOLD_RELEASE_QUEUE_NAME: z.string().min(1).default('concert-ticketing-local-hold-release'),

  // Identity. Local stages sign and verify HS256 with JWT_SECRET; deployed stages
  // verify against the issuer's JWKS (Cognito or any OIDC provider).
  JWT_SECRET: z.string().optional(),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  // Allowed `client_id` values (comma-separated), for Cognito access tokens (no `aud`).
  JWT_CLIENT_IDS: z
    .string()
    .transform((v) => v.split(',').map((id) => id.trim()).filter(Boolean))
    .optional(),
  JWT_JWKS_URL: optionalUrl,
  // The key set itself (JSON {keys: [...]}), instead of JWT_JWKS_URL: no fetch at all.
  JWT_JWKS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return undefined;
      try {
        const set = JSON.parse(v);
        const keys: unknown = set?.keys;
        if (Array.isArray(keys) && keys.length > 0 && keys.every((k) => typeof k === 'object' && k !== null && typeof (k as { kty?: unknown }).kty === 'string')) {
          return set as { keys: Record<string, unknown>[] };
        }
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON key set {"keys": [...]}' });
      return z.NEVER;
    }),
  // Tokens issued (iat) longer ago than this are refused even if they have not expired.
  JWT_MAX_AGE_SECONDS: int(24 * 3600, 60, 30 * 24 * 3600),
  DEV_TOKEN_TTL_SECONDS: int(12 * 3600, 60),
  // Deployed stages: the SSM parameters the secrets are read from at cold start
  // (lib/secrets.ts). The JWT one holds JSON {issuer, audience?, clientIds?, jwksUrl | jwks}.
  REDIS_PASSWORD_PARAMETER: z.string().optional(),
  // "none": the functions that use Redis run in a VPC with no route out (infra/redis.js).
  VPC_EGRESS: z.enum(['none', 'nat', '']).optional(),
  JWT_SETTINGS_PARAMETER: z.string().optional(),

  // Booking rules.
  HOLD_SECONDS: int(300, 1, 12 * 3600),
  HOLD_LIMIT_PER_CONCERT: int(1, 1, HOLD_LIMIT_MAX),
  SWEEP_GRACE_SECONDS: int(30, 0, 3600),
  /** The fast claim's lease on a seat being held (lib/booking/seat-claims.ts); 0 turns claims off. */
  SEAT_CLAIM_LEASE_MS: int(3000, 0, 60_000),
  /** How long a hold waits for its claim before it goes the transaction path without one. */
  SEAT_CLAIM_TIMEOUT_MS: int(250, 10, 10_000),
  /** How long a container serves a show's seat map and dates from its cache (lib/booking/show-seats-cache.ts); 0 = no cache. */
  SEAT_LISTING_CACHE_MS: int(1000, 0, 10_000),

  // Waiting-room defaults; each concert can override them through the admin API.
  QUEUE_MAX_ACTIVE: int(100, 0),
  QUEUE_ADMIT_PER_SECOND: int(50, 1),
  QUEUE_ACTIVE_SECONDS: int(600, 1),
  QUEUE_ABANDON_SECONDS: int(180, 5),
  // The ETA's prior session length for a new concert without measured history
  // (default: QUEUE_ACTIVE_SECONDS); admins set it per concert (expectedSessionSeconds).
  QUEUE_EXPECTED_SESSION_SECONDS: z.coerce.number().int().min(1).optional(),
  // How long an ended token still answers EXPIRED, and how long a sold-out or closed
  // sale's queue keys live before Redis drops them.
  QUEUE_ENDED_RETENTION_SECONDS: int(3600, 60),
  // Minutes before salesOpenAt that the pre-queue opens, for concerts that do not say.
  PRE_QUEUE_MINUTES: int(30, 0, 24 * 60),
  ADMISSION_TICK_MS: int(250, 20, 5000),
  ADMISSION_RUN_SECONDS: int(58, 0, 900),

  // Wallet policy (won).
  CHARGE_MIN: int(1000, 1),
  CHARGE_MAX: int(1_000_000, 1),
  BALANCE_MAX: int(10_000_000, 1),
  IDEMPOTENCY_TTL_SECONDS: int(24 * 3600, 60),
  // How long a wallet change keeps retrying lost races before answering 409 WALLET_BUSY
  // (keep it below the function timeout).
  WALLET_RETRY_BUDGET_MS: int(10_000, 100, 25_000),

  // Abuse limits (lib/limits/), per user: holds and releases together, and top-ups, per
  // minute; holds that expired unpaid per concert before holding there is refused, and
  // how long such an expiry counts.
  RATE_LIMIT_HOLDS_PER_MINUTE: int(20, 1, 1000),
  RATE_LIMIT_TOPUPS_PER_MINUTE: int(10, 1, 1000),
  UNPAID_HOLDS_LIMIT: int(3, 1, 1000),
  UNPAID_HOLDS_WINDOW_SECONDS: int(24 * 3600, 60, 30 * 24 * 3600),
  // Leaving a queue, per user and concert per minute: caps enter/leave churn (each cycle
  // leaves an ended token behind for QUEUE_ENDED_RETENTION_SECONDS).
  RATE_LIMIT_QUEUE_CYCLES_PER_MINUTE: int(5, 1, 1000),
  // A queue status poll sooner than this share of the pollAfterMs last told is answered
  // 429 RATE_LIMITED and does no work (0 = no poll limit).
  QUEUE_POLL_MIN_FRACTION: z.coerce.number().min(0).max(1).default(0.5),

  // Dependency timeouts: a dependency that is down must answer 503 quickly,
  // not hold the caller until the Lambda times out.
  DEPENDENCY_TIMEOUT_MS: int(2000, 50, 30_000),
  // GET /v1/health answers from a container's last readiness check for this long
  // (lib/readiness.ts), so polling it adds no load to DynamoDB, Redis or SQS.
  READINESS_CACHE_MS: int(5000, 0, 60_000),
});

export type Config = z.infer<typeof schema>;

/**
 * Reads and validates the configuration from `env`. The composition root (lib/app.ts)
 * calls it once per container; tests and the benchmark call it with their own endpoints.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set" (serverless.yml passes '' for unset tunables).
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(set);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const cfg = parsed.data;
  if (cfg.CHARGE_MIN > cfg.CHARGE_MAX) throw new Error('Invalid configuration: CHARGE_MIN > CHARGE_MAX');
  if (runningOnAws(env) && (isLocalStage(cfg.STAGE) || cfg.JWT_SECRET)) {
    // A local stage deployed by mistake would serve development tokens to anyone.
    throw new Error(`Invalid configuration: stage "${cfg.STAGE}" with a shared JWT_SECRET cannot run on AWS; deploy with JWT_JWKS_URL`);
  }
  if (isLocalStage(cfg.STAGE) && !cfg.JWT_SECRET && !cfg.JWT_JWKS_URL && !cfg.JWT_JWKS) {
    throw new Error('Invalid configuration: local stages need JWT_SECRET (npm start generates one)');
  }
  if (!isLocalStage(cfg.STAGE)) checkDeployedStage(cfg);
  return cfg;
}

/**
 * A deployed stage only accepts tokens of one issuer, meant for this service, and talks
 * to Redis over TLS with AUTH: a stage missing any of it does not start.
 */
function checkDeployedStage(cfg: Config): void {
  const stage = `stage "${cfg.STAGE}"`;
  if (!(cfg.JWT_JWKS_URL || cfg.JWT_JWKS) || !cfg.JWT_ISSUER) {
    throw new Error(`Invalid configuration: ${stage} needs JWT_JWKS_URL (or JWT_JWKS) and JWT_ISSUER (the identity provider's JWKS and issuer)`);
  }
  if (cfg.VPC_EGRESS === 'none' && cfg.JWT_JWKS_URL && !cfg.JWT_JWKS) {
    // Every token check of the functions in the VPC would time out (503) fetching it.
    throw new Error(
      `Invalid configuration: ${stage} runs its Redis functions in a VPC with no route out, so they cannot fetch JWT_JWKS_URL; put the key set itself in the JWT settings ("jwks", README "Deploying to AWS") or deploy with --param="vpcNatGateway=true"`,
    );
  }
  if (!cfg.JWT_AUDIENCE && !(cfg.JWT_CLIENT_IDS && cfg.JWT_CLIENT_IDS.length > 0)) {
    throw new Error(`Invalid configuration: ${stage} needs JWT_AUDIENCE or JWT_CLIENT_IDS, so tokens minted for other applications are refused`);
  }
  let url: URL;
  try {
    url = new URL(cfg.REDIS_URL);
  } catch {
    throw new Error(`Invalid configuration: REDIS_URL is not a URL`);
  }
  if (url.protocol !== 'rediss:') {
    throw new Error(`Invalid configuration: ${stage} needs a TLS Redis URL (rediss://), not ${url.protocol}//`);
  }
  if (!url.password && !cfg.REDIS_PASSWORD) {
    throw new Error(`Invalid configuration: ${stage} needs Redis AUTH: set REDIS_PASSWORD_PARAMETER (an SSM SecureString with the AUTH token)`);
  }
}

/** Stages that run on a developer machine or in CI, never in an AWS account. */
export function isLocalStage(stage: string): boolean {
  return stage === 'local' || stage === 'test';
}

/** True inside a real Lambda (serverless-offline sets IS_OFFLINE). */
export function runningOnAws(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME) && env.IS_OFFLINE !== 'true';
}

