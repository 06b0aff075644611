/**
 * A real OpenID Connect provider for the browser tests: npm `oidc-provider` (v9), as
 * Cognito's Hosted UI would be on a deployed stage. Its development login form accepts
 * any login (the login becomes `sub`) with any password, and it issues:
 *  - authorization codes only to public clients that send PKCE (S256; oidc-provider
 *    requires PKCE for every client without a secret);
 *  - access tokens as RS256 JWTs (RFC 9068) for one API (the resource indicator
 *    `resource`, the default when the client names none): `iss`, `sub`, `aud` = resource,
 *    `client_id`, `iat`, `exp`, `scope`, plus `role: "admin"` for logins starting "admin";
 *  - ID tokens (aud = the client id), for the app only.
 * The API verifies access tokens against its JWKS (`jwksUrl`), as it does Cognito's.
 *
 * oidc-provider is ESM only and jest runs CommonJS, so the provider runs in a child
 * process: this same file run by tsx with `--serve <json>` (startOidcProvider does that).
 */
import { join } from 'node:path';
import { startChild, waitFor, type Child } from '../../infra/local/processes';
import { projectDir } from '../../infra/local/stack';

export interface OidcProviderOptions {
  port: number;
  clientId: string;
  /** The app's /auth/callback URL(s). */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** The API's resource indicator: the `aud` of the access tokens. */
  resource: string;
  /** Access token lifetime in seconds (default 600). */
  accessTokenTtl?: number;
}

export interface RunningOidcProvider {
  issuer: string;
  jwksUrl: string;
  child: Child;
  stop: () => Promise<void>;
}

export async function startOidcProvider(o: OidcProviderOptions): Promise<RunningOidcProvider> {
  const child = startChild('oidc-provider', process.execPath, ['--import', 'tsx', __filename, '--serve', JSON.stringify(o)], {
    cwd: projectDir,
    env: { ...process.env, NODE_ENV: 'test' },
  });
  const issuer = `http://127.0.0.1:${o.port}`;
  await waitFor('the OIDC provider', async () => (await fetch(`${issuer}/.well-known/openid-configuration`)).ok, 20_000, child);
  return { issuer, jwksUrl: `${issuer}/jwks`, child, stop: () => child.stop() };
}

/** oidc-provider's Koa context (the package has no type declarations). */
type Ctx = any;

/** The provider itself (in the child process). */
async function serve(o: OidcProviderOptions): Promise<void> {
  const { generateKeyPairSync, randomBytes } = await import('node:crypto');
  // A dynamic import that tsx leaves native: oidc-provider is an ES module (without
  // type declarations: its configuration is typed loosely here).
  const specifier = 'oidc-provider';
  const { default: Provider } = (await import(specifier)) as { default: any };
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };
  const issuer = `http://127.0.0.1:${o.port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: o.clientId,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: o.redirectUris,
        post_logout_redirect_uris: o.postLogoutRedirectUris,
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    // Any login is an account; its id is the login.
    findAccount: async (_ctx: Ctx, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    pkce: { required: () => true },
    // No consent screen: the first sign-in grants what the client asks for.
    loadExistingGrant: async (ctx: Ctx) => {
      const client = ctx.oidc.client;
      const session = ctx.oidc.session;
      const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid offline_access');
      grant.addResourceScope(o.resource, 'api');
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => o.resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: Ctx, resourceIndicator: string) => {
          if (resourceIndicator !== o.resource) throw new Provider.errors.InvalidTarget();
          return { scope: 'api', audience: o.resource, accessTokenTTL: o.accessTokenTtl ?? 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    extraTokenClaims: async (_ctx: Ctx, token: { accountId?: string }) => (token.accountId?.startsWith('admin') ? { role: 'admin' } : undefined),
    ttl: { AccessToken: o.accessTokenTtl ?? 600, IdToken: 3600, Session: 3600, Grant: 3600, Interaction: 600, AuthorizationCode: 60, RefreshToken: 3600 },
  });
  // Plain http on 127.0.0.1: the cookies cannot be Secure.
  provider.proxy = false;
  const server = provider.listen(o.port, '127.0.0.1');
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[2] === '--serve' && process.argv[3]) {
  serve(JSON.parse(process.argv[3]) as OidcProviderOptions).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

export const oidcProviderFile = join(__dirname, 'oidc-provider.ts');
