/**
 * Who is calling. Every request carries `Authorization: Bearer <JWT>`; the user id is
 * the `sub` claim; admins carry `role: "admin"` or are in the Cognito group "admin".
 * Local stages verify HS256 with a shared secret (and can mint development tokens); deployed stages verify against the
 * identity provider's JWKS (Cognito or any OIDC issuer). A user id never comes from a
 * request body or path.
 *
 * A token is accepted only when all of these hold (else 401 INVALID_TOKEN/TOKEN_EXPIRED):
 *   - the signature verifies (HS256 locally; RS256/ES256 from the JWKS when deployed);
 *   - it has `exp` (not passed), `sub` (a usable user id) and `iat`, and was issued at
 *     most JWT_MAX_AGE_SECONDS ago;
 *   - `iss` is JWT_ISSUER, `aud` is JWT_AUDIENCE and `client_id` one of JWT_CLIENT_IDS,
 *     for each of them that is configured (deployed stages must configure the issuer and
 *     the audience or the client ids: lib/config.ts);
 *   - Cognito's `token_use`, when present, is `access` (an ID token is for the client app,
 *     not for calling APIs).
 */
import { webcrypto } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { LRUCache } from 'lru-cache';
import { isLocalStage, runningOnAws, type Config } from '../config';
import { DependencyUnavailableError, ForbiddenError, UnauthorizedError } from '../errors';
import { UserId } from '../ids';

export interface Principal {
  userId: string;
  admin: boolean;
}

/**
 * Tokens this container has already verified, so a user polling every second pays for
 * the signature check once (it is ~85% of a poll's CPU). Keyed by the exact token
 * string, so only a token that passed verification can hit; entries never outlive the
 * token's own expiry, nor VERIFIED_TOKEN_TTL_MS.
 */
const VERIFIED_TOKEN_TTL_MS = 5 * 60_000;
/** The Cognito group whose members are admins. */
const ADMIN_GROUP = 'admin';

export class Identity {
  private readonly secret: Uint8Array | undefined;
  /** The secret imported once as a WebCrypto key: given raw bytes, jose imports it again on every verification. */
  private readonly hmacKey: Promise<webcrypto.CryptoKey> | undefined;
  private readonly jwks: JWTVerifyGetKey | undefined;
  private readonly verified = new LRUCache<string, Principal>({ max: 20_000, ttl: VERIFIED_TOKEN_TTL_MS, ttlAutopurge: false });
  private readonly verifyOptions: JWTVerifyOptions;
  private readonly clientIds: ReadonlySet<string> | undefined;

  constructor(private readonly config: Config) {
    this.secret = config.JWT_SECRET ? new TextEncoder().encode(config.JWT_SECRET) : undefined;
    this.hmacKey = this.secret ? webcrypto.subtle.importKey('raw', this.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']) : undefined;
    this.jwks = config.JWT_JWKS
      ? createLocalJWKSet(config.JWT_JWKS as unknown as Parameters<typeof createLocalJWKSet>[0])
      : config.JWT_JWKS_URL
        ? createRemoteJWKSet(new URL(config.JWT_JWKS_URL), { timeoutDuration: config.DEPENDENCY_TIMEOUT_MS })
        : undefined;
    this.verifyOptions = {
      issuer: config.JWT_ISSUER || undefined,
      audience: config.JWT_AUDIENCE || undefined,
      requiredClaims: ['exp', 'sub', 'iat'],
      maxTokenAge: config.JWT_MAX_AGE_SECONDS,
      clockTolerance: 5,
    };
    this.clientIds = config.JWT_CLIENT_IDS?.length ? new Set(config.JWT_CLIENT_IDS) : undefined;
  }

  private async verify(token: string): Promise<JWTPayload> {
    if (this.jwks) return (await jwtVerify(token, this.jwks, { ...this.verifyOptions, algorithms: ['RS256', 'ES256'] })).payload;
    return (await jwtVerify(token, await this.hmacKey!, { ...this.verifyOptions, algorithms: ['HS256'] })).payload;
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) throw new UnauthorizedError('UNAUTHENTICATED', 'Send Authorization: Bearer <token>.');
    const token = match[1]!;
    const known = this.verified.get(token);
    if (known) return known;
    let payload: JWTPayload;
    try {
      payload = await this.verify(token);
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new UnauthorizedError('TOKEN_EXPIRED', 'The bearer token has expired.');
      // A JWKS endpoint that does not answer (or answers nonsense) is an identity-provider
      // outage, not a bad token; jose reports the latter as a bare JOSEError.
      if (err instanceof joseErrors.JWKSTimeout || !(err instanceof joseErrors.JOSEError) || err.constructor === joseErrors.JOSEError) {
        throw new DependencyUnavailableError('identity', err);
      }
      // Which claim failed is safe to say (issuer, audience, age); a bad signature is not explained.
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        throw new UnauthorizedError('INVALID_TOKEN', `The bearer token is not valid: ${err.message}.`, { claim: err.claim });
      }
      throw new UnauthorizedError('INVALID_TOKEN', 'The bearer token is not valid.');
    }
    if (this.clientIds && !(typeof payload.client_id === 'string' && this.clientIds.has(payload.client_id))) {
      throw new UnauthorizedError('INVALID_TOKEN', 'The bearer token was issued to another client (client_id).', { claim: 'client_id' });
    }
    if (payload.token_use !== undefined && payload.token_use !== 'access') {
      throw new UnauthorizedError('INVALID_TOKEN', 'The bearer token is not an access token (token_use).', { claim: 'token_use' });
    }
    const sub = UserId.safeParse(payload.sub);
    if (!sub.success) throw new UnauthorizedError('INVALID_TOKEN', 'The bearer token has no usable subject (sub).');
    // Admins: `role: "admin"` (development tokens, providers with custom claims) or members
    // of the Cognito group "admin" (infra/web.js creates it; access tokens list the groups).
    const groups = payload['cognito:groups'];
    const admin = payload.role === 'admin' || (Array.isArray(groups) && groups.includes(ADMIN_GROUP));
    const principal = { userId: sub.data, admin };
    // Never cached past its expiry nor past its maximum age.
    const ttl = Math.min(VERIFIED_TOKEN_TTL_MS, payload.exp! * 1000 - Date.now(), (payload.iat! + this.config.JWT_MAX_AGE_SECONDS) * 1000 - Date.now());
    if (ttl > 0) this.verified.set(token, principal, { ttl });
    return principal;
  }

  /** Local stages only: mints a development token. */
  async issueDevToken(userId: string, admin: boolean): Promise<string> {
    const { config, secret } = this;
    if (!isLocalStage(config.STAGE) || !secret || runningOnAws()) {
      throw new ForbiddenError('DEV_TOKENS_DISABLED', 'Development tokens exist only on local stages.');
    }
    const clientId = config.JWT_CLIENT_IDS?.[0];
    const jwt = new SignJWT({ ...(admin ? { role: 'admin' } : {}), ...(clientId ? { client_id: clientId } : {}) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(`${config.DEV_TOKEN_TTL_SECONDS}s`);
    if (config.JWT_ISSUER) jwt.setIssuer(config.JWT_ISSUER);
    if (config.JWT_AUDIENCE) jwt.setAudience(config.JWT_AUDIENCE);
    return jwt.sign(secret);
  }
}

export function requireAdmin(principal: Principal): void {
  if (!principal.admin) throw new ForbiddenError('ADMIN_ONLY', 'This endpoint needs an admin token.');
}
