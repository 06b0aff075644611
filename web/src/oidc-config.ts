/**
 * OIDC sign-in settings, baked in at build time (Vite env). With VITE_OIDC_AUTHORITY
 * empty the app signs in with development tokens (local stages); set, it signs in at
 * that provider (Cognito's Hosted UI, or any OpenID Connect issuer): authorization code
 * + PKCE through oidc-client-ts (web/src/oidc.ts, loaded only then).
 *
 *   VITE_OIDC_AUTHORITY   the issuer, e.g. https://cognito-idp.<region>.amazonaws.com/<poolId>
 *   VITE_OIDC_CLIENT_ID   the app client (public: no secret)
 *   VITE_OIDC_SCOPE       default "openid"
 *   VITE_OIDC_LOGOUT_URL  optional: a logout endpoint outside the discovery document,
 *                         e.g. Cognito's https://<domain>/logout (sent client_id and logout_uri)
 *
 * Nothing here loads oidc-client-ts: the development build stays as it was.
 */
const env = import.meta.env;
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

export const oidcSettings = {
  authority: str(env.VITE_OIDC_AUTHORITY),
  clientId: str(env.VITE_OIDC_CLIENT_ID),
  scope: str(env.VITE_OIDC_SCOPE) || 'openid',
  logoutUrl: str(env.VITE_OIDC_LOGOUT_URL),
};

/** Sign-in at an OIDC provider (deployed stages) instead of development tokens. */
export const oidcEnabled = oidcSettings.authority !== '';

/** The one redirect URI to register at the provider (sign-in and silent renew). */
export const callbackPath = '/auth/callback';

/**
 * The logout URL for a provider whose logout endpoint is not in its discovery document:
 * Cognito's `/logout?client_id=..&logout_uri=..` (logout_uri must be one of the app
 * client's sign-out URLs). Parameters already in `base` are kept.
 */
export function providerLogoutUrl(base: string, clientId: string, returnTo: string): string {
  const url = new URL(base);
  if (!url.searchParams.has('client_id')) url.searchParams.set('client_id', clientId);
  if (!url.searchParams.has('logout_uri') && !url.searchParams.has('redirect_uri')) url.searchParams.set('logout_uri', returnTo);
  return url.toString();
}

/** A JWT's payload, decoded without any check (for display only: the API verifies). */
export function jwtPayload(token: string): Record<string, unknown> {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const payload: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
    return payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Whether an access token says "admin": `role: "admin"`, or Cognito's group "admin". */
export function isAdminToken(accessToken: string): boolean {
  const p = jwtPayload(accessToken);
  const groups = p['cognito:groups'];
  return p.role === 'admin' || (Array.isArray(groups) && groups.includes('admin'));
}
