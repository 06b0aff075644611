/**
 * Secrets of deployed stages, read once per container at cold start from SSM Parameter
 * Store (Powertools parameters), never from plain Lambda environment variables:
 *
 *   REDIS_PASSWORD_PARAMETER  SecureString: the Redis AUTH token          -> REDIS_PASSWORD
 *   JWT_SETTINGS_PARAMETER    String, JSON {issuer, jwksUrl | jwks, audience?, clientIds?}
 *                                                 -> JWT_ISSUER, JWT_JWKS_URL | JWT_JWKS, JWT_AUDIENCE, JWT_CLIENT_IDS
 *
 * `jwks` is the identity provider's public key set itself ({keys: [...]}, e.g. Cognito's
 * .well-known/jwks.json): functions in a VPC with no route to the internet (infra/redis.js)
 * verify tokens without fetching it. Update the parameter when the provider adds a key.
 *
 * The function roles may read exactly these two parameters (serverless.yml). Stages that
 * name no parameter (local, test) keep reading everything from the environment.
 */
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { z } from 'zod';

export const JwtSettings = z
  .strictObject({
    issuer: z.string().min(1),
    jwksUrl: z.url().optional(),
    jwks: z.looseObject({ keys: z.array(z.looseObject({ kty: z.string() })).min(1) }).optional(),
    audience: z.string().min(1).optional(),
    clientIds: z.union([z.array(z.string().min(1)), z.string().min(1)]).optional(),
  })
  .refine((s) => (s.jwksUrl === undefined) !== (s.jwks === undefined), { message: 'give exactly one of jwksUrl and jwks', path: ['jwksUrl'] });

/** Reads the named parameters; `decrypt` names the SecureStrings. */
export type ParameterReader = (names: { decrypt: string[]; json: string[] }) => Promise<Record<string, unknown>>;

/** The Powertools SSM reader (GetParameter with decryption for SecureStrings, GetParameters for the rest). */
export function ssmReader(clientConfig: ConstructorParameters<typeof SSMProvider>[0] = {}): ParameterReader {
  const provider = new SSMProvider(clientConfig);
  return async ({ decrypt, json }) => {
    const request = {
      ...Object.fromEntries(decrypt.map((n) => [n, { decrypt: true }])),
      ...Object.fromEntries(json.map((n) => [n, { transform: 'json' as const }])),
    };
    return (await provider.getParametersByName(request, { maxAge: 300 })) as Record<string, unknown>;
  };
}

/**
 * `env` with the secrets its parameters name filled in. Throws (the cold start fails)
 * when a named parameter cannot be read or is malformed: a stage without its identity
 * settings or Redis password must not serve.
 */
export async function withSecrets(env: NodeJS.ProcessEnv, read: ParameterReader = ssmReader()): Promise<NodeJS.ProcessEnv> {
  const passwordName = env.REDIS_PASSWORD_PARAMETER || undefined;
  const jwtName = env.JWT_SETTINGS_PARAMETER || undefined;
  if (!passwordName && !jwtName) return env;
  let values: Record<string, unknown>;
  try {
    values = await read({ decrypt: passwordName ? [passwordName] : [], json: jwtName ? [jwtName] : [] });
  } catch (err) {
    throw new Error(`Invalid configuration: cannot read the SSM parameters ${[passwordName, jwtName].filter(Boolean).join(', ')}: ${(err as Error).message}`);
  }
  const out: NodeJS.ProcessEnv = { ...env };
  if (passwordName) {
    const password = values[passwordName];
    if (typeof password !== 'string' || password === '') throw new Error(`Invalid configuration: SSM parameter ${passwordName} (Redis AUTH token) is empty`);
    out.REDIS_PASSWORD = password;
  }
  if (jwtName) {
    const parsed = JwtSettings.safeParse(values[jwtName]);
    if (!parsed.success) {
      throw new Error(`Invalid configuration: SSM parameter ${jwtName} must be JSON {issuer, jwksUrl | jwks, audience?, clientIds?}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const s = parsed.data;
    out.JWT_ISSUER = s.issuer;
    out.JWT_JWKS_URL = s.jwksUrl ?? '';
    out.JWT_JWKS = s.jwks ? JSON.stringify(s.jwks) : '';
    out.JWT_AUDIENCE = s.audience ?? '';
    out.JWT_CLIENT_IDS = Array.isArray(s.clientIds) ? s.clientIds.join(',') : (s.clientIds ?? '');
  }
  return out;
}
