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
import { KeyObject, webcrypto } from 'node:crypto';
import { createVerifier, TokenError, type Algorithm } from 'fast-jwt';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
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
/** Clock skew allowed between the token issuer and this container. */
const CLOCK_TOLERANCE_SECONDS = 5;
const REQUIRED_CLAIMS = ['exp', 'sub', 'iat'] as const;
const JWKS_ALGORITHMS: readonly Algorithm[] = ['RS256', 'ES256'];

/** A synchronous signature and time-claims check of one key (fast-jwt). */
type KeyVerifier = (token: string) => JWTPayload;

/**
 * Signatures are checked with fast-jwt, which verifies with node:crypto synchronously:
 * jose 6 verifies through WebCrypto, whose every call is a job on libuv's thread pool
 * (for HS256 about 30 us of CPU per entry under load against 8 us, for RS256 about 60
 * against 30; `npm run bench:profile-enter`). jose still finds the key of a deployed
 * stage's token in the identity provider's key set (fetching, caching, the cooldown and
 * the timeout are its createRemoteJWKSet) and mints the local development tokens.
 * fast-jwt checks the signature, `exp`, `nbf` and the maximum age from `iat`; the claims
 * whose failure the caller is told by name are checked here.
 */
function keyVerifier(key: string | Buffer, algorithm: Algorithm, maxAgeSeconds: number): KeyVerifier {
  return createVerifier({ key, algorithms: [algorithm], maxAge: maxAgeSeconds * 1000, clockTolerance: CLOCK_TOLERANCE_SECONDS * 1000 }) as KeyVerifier;
}

export class Identity {
  private readonly secret: Uint8Array | undefined;
  private readonly hmacVerifier: KeyVerifier | undefined;
  private readonly jwks: JWTVerifyGetKey | undefined;
  /** One verifier per key of the provider's set; a refreshed set brings new key objects (and drops the old ones). */
  private readonly keyVerifiers = new WeakMap<object, KeyVerifier>();
  private readonly verified = new LRUCache<string, Principal>({ max: 20_000, ttl: VERIFIED_TOKEN_TTL_MS, ttlAutopurge: false });
  private readonly clientIds: ReadonlySet<string> | undefined;

  constructor(private readonly config: Config) {
    this.secret = config.JWT_SECRET ? new TextEncoder().encode(config.JWT_SECRET) : undefined;
    this.hmacVerifier = this.secret ? keyVerifier(Buffer.from(this.secret), 'HS256', config.JWT_MAX_AGE_SECONDS) : undefined;
    this.jwks = config.JWT_JWKS
      ? createLocalJWKSet(config.JWT_JWKS as unknown as Parameters<typeof createLocalJWKSet>[0])
      : config.JWT_JWKS_URL
        ? createRemoteJWKSet(new URL(config.JWT_JWKS_URL), { timeoutDuration: config.DEPENDENCY_TIMEOUT_MS })
        : undefined;
    this.clientIds = config.JWT_CLIENT_IDS?.length ? new Set(config.JWT_CLIENT_IDS) : undefined;
  }

  /** The verifier of the provider's key that signed `token` (deployed stages). */
  private async jwksVerifier(token: string): Promise<KeyVerifier> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new UnauthorizedError('INVALID_TOKEN', 'The bearer token is not valid.');
    }
    const alg = JWKS_ALGORITHMS.find((a) => a === header.alg);
    if (!alg) throw new UnauthorizedError('INVALID_TOKEN', 'The bearer token is not valid.');
    let key: Awaited<ReturnType<JWTVerifyGetKey>>;
    try {
      key = await this.jwks!({ ...header, alg }, undefined as never);
    } catch (err) {
      // A JWKS endpoint that does not answer (or answers nonsense) is an identity-provider
      // outage, not a bad token; jose reports the latter as a bare JOSEError. A key that
      // is not in the set is a bad token.
      if (err instanceof joseErrors.JWKSTimeout || !(err instanceof joseErrors.JOSEError) || err.constructor === joseErrors.JOSEError) {
        throw new DependencyUnavailableError('identity', err);
      }
      throw new UnauthorizedError('INVALID_TOKEN', 'The bearer token is not valid.');
    }
    let verifier = this.keyVerifiers.get(key);
    if (!verifier) {
      const pem = KeyObject.from(key as webcrypto.CryptoKey).export({ type: 'spki', format: 'pem' }) as string;
      verifier = keyVerifier(pem, alg, this.config.JWT_MAX_AGE_SECONDS);
      this.keyVerifiers.set(key, verifier);
    }
    return verifier;
  }

  /** The token's claims once its signature and time claims hold; 401 otherwise. */
  private async verify(token: string): Promise<JWTPayload> {
    const verifier = this.jwks ? await this.jwksVerifier(token) : this.hmacVerifier!;
    let payload: JWTPayload;
    try {
      payload = verifier(token);
    } catch (err) {
      // An expired or too old token (iat + JWT_MAX_AGE_SECONDS passed): the remedy is the same, a fresh token.
      if (err instanceof TokenError && err.code === TokenError.codes.expired) throw new UnauthorizedError('TOKEN_EXPIRED', 'The bearer token has expired.');
      throw new UnauthorizedError('INVALID_TOKEN', 'The bearer token is not valid.');
    }
    const { config } = this;
    const claimFailed = (claim: string, why: string) => new UnauthorizedError('INVALID_TOKEN', `The bearer token is not valid: ${why}.`, { claim });
    for (const claim of REQUIRED_CLAIMS) if (payload[claim] === undefined) throw claimFailed(claim, `missing required "${claim}" claim`);
    if (typeof payload.iat !== 'number' || payload.iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) throw claimFailed('iat', '"iat" is not a time in the past');
    if (config.JWT_ISSUER && payload.iss !== config.JWT_ISSUER) throw claimFailed('iss', 'unexpected "iss" claim value');
    if (config.JWT_AUDIENCE && !(Array.isArray(payload.aud) ? payload.aud.includes(config.JWT_AUDIENCE) : payload.aud === config.JWT_AUDIENCE)) {
      throw claimFailed('aud', 'unexpected "aud" claim value');
    }
    return payload;
  }

  /** The caller of a token this container has verified already (and not yet forgotten), without a promise: a poll's path. */
  knownPrincipal(authorization: string | undefined): Principal | undefined {
    // The cache holds only tokens that matched BEARER when they were verified, so the
    // exact text after "Bearer " finds them without running the pattern over the token.
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return undefined;
    return this.verified.get(authorization.slice(7));
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const token = bearerToken(authorization);
    if (token === undefined) throw new UnauthorizedError('UNAUTHENTICATED', 'Send Authorization: Bearer <token>.');
    const known = this.verified.get(token);
    if (known) return known;
    const payload = await this.verify(token);
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

const BEARER = /^Bearer\s+(\S+)$/i;

/** The token of an `Authorization: Bearer <token>` header; undefined for anything else. */
function bearerToken(authorization: string | undefined): string | undefined {
  return authorization ? BEARER.exec(authorization)?.[1] : undefined;
}

export function requireAdmin(principal: Principal): void {
  if (!principal.admin) throw new ForbiddenError('ADMIN_ONLY', 'This endpoint needs an admin token.');
}
