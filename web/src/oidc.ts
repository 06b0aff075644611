/**
 * Sign-in at the configured OpenID Connect provider (web/src/oidc-config.ts; deployed
 * stages: Cognito's Hosted UI), with oidc-client-ts: authorization code + PKCE (S256),
 * redirect back to /auth/callback, tokens kept by oidc-client-ts in localStorage (like
 * the development session). Loaded only when VITE_OIDC_AUTHORITY is set.
 *
 * The API gets the ACCESS token (the ID token is for this app only; the API refuses it).
 * The session's user id is the profile's `sub`; `admin` is read from the access token
 * for the navigation only (the API decides).
 *
 * Renewal: oidc-client-ts renews a minute before the access token expires (with the
 * refresh token Cognito issues, else a hidden iframe with prompt=none to /auth/callback).
 * When that fails, or the API refuses the token anyway, the session ends and the sign-in
 * page asks the user to sign in again (signInExpired) instead of showing 401s.
 */
import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import { setBearerRefusedHandler } from './api/client';
import { callbackPath, isAdminToken, oidcSettings, providerLogoutUrl } from './oidc-config';
import { queueTokens, session, sessionChecked, signInExpired, type Session } from './session';

let manager: UserManager | undefined;

function userManager(): UserManager {
  if (manager) return manager;
  const origin = location.origin;
  manager = new UserManager({
    authority: oidcSettings.authority,
    client_id: oidcSettings.clientId,
    scope: oidcSettings.scope,
    response_type: 'code',
    redirect_uri: `${origin}${callbackPath}`,
    silent_redirect_uri: `${origin}${callbackPath}`,
    post_logout_redirect_uri: `${origin}/`,
    userStore: new WebStorageStateStore({ store: localStorage }),
    automaticSilentRenew: true,
    // Cognito's userinfo needs the aws.cognito.signin.user.admin scope; sub is in the ID token.
    loadUserInfo: false,
    // Pages wait for the start-up renewal (sessionChecked): a provider that does not answer
    // must not hold them for ever (the silent-renew iframe has its own 10 s limit).
    requestTimeoutInSeconds: 10,
  });
  return manager;
}

export function sessionOf(user: User): Session {
  return { userId: user.profile.sub, token: user.access_token, admin: isAdminToken(user.access_token) };
}

/** Ends the session because its token ran out or was refused; the sign-in page says so. */
function expire(): void {
  const was = session.value?.userId;
  if (!was) return;
  session.value = null;
  signInExpired.value = was;
  void userManager().removeUser();
}

let started: Promise<void> | undefined;

/** At start-up: the session follows oidc-client-ts's user, renewals and expiry. */
export function startOidc(): Promise<void> {
  started ??= (async () => {
    const um = userManager();
    um.events.addUserLoaded((user) => {
      session.value = sessionOf(user);
      signInExpired.value = null;
    });
    um.events.addAccessTokenExpired(expire);
    setBearerRefusedHandler((token) => {
      // A request that left with an older token, answered after a renewal, changes nothing.
      if (session.value?.token === token) expire();
    });
    try {
      await adoptStoredUser(um);
    } finally {
      sessionChecked.value = true;
    }
  })();
  return started;
}

/** The session of the user oidc-client-ts kept, renewed first when its token expired. */
async function adoptStoredUser(um: UserManager): Promise<void> {
  const user = await um.getUser();
  if (!user) {
    // A development session from before the build changed, or signed out in another tab.
    session.value = null;
    return;
  }
  if (!user.expired) {
    session.value = sessionOf(user);
    return;
  }
  // Expired while the app was closed: renew before anything calls the API with it.
  session.value = null;
  try {
    if (!(await um.signinSilent())) throw new Error('not renewed');
  } catch {
    signInExpired.value = user.profile.sub;
    await um.removeUser();
  }
}

/** Goes to the provider's sign-in page; back at /auth/callback, then at `returnTo`. */
export async function signInWithProvider(returnTo: string): Promise<void> {
  await userManager().signinRedirect({ state: { returnTo } });
}

let callback: Promise<string | undefined> | undefined;

/**
 * /auth/callback: exchanges the code (with the PKCE verifier) for tokens and returns
 * where to go back to; in the silent-renew iframe it hands the answer to the app and
 * returns undefined. Once per page load (the code is single use).
 */
export function completeSignIn(): Promise<string | undefined> {
  callback ??= (async () => {
    let user: User | undefined;
    try {
      user = await userManager().signinCallback();
    } catch (err) {
      // A used or stale code (a reload, a bookmarked callback): the app goes on with what
      // it has (a session kept from before, or none), so pages do not wait for ever.
      if (window.parent === window) void startOidc();
      throw err;
    }
    if (!user) return undefined;
    const next = sessionOf(user);
    if (signInExpired.value && signInExpired.value !== next.userId) queueTokens.value = {};
    signInExpired.value = null;
    session.value = next;
    // From now on the session follows renewals and expiry (the refusal handler is set at once).
    void startOidc();
    sessionChecked.value = true;
    const returnTo = (user.state as { returnTo?: unknown } | undefined)?.returnTo;
    return typeof returnTo === 'string' && returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/';
  })();
  return callback;
}

/**
 * Sign-out (the session is already gone): forgets the tokens, then ends the provider's
 * session too, so the next sign-in asks again: VITE_OIDC_LOGOUT_URL when set (Cognito's
 * /logout), else the discovery document's end_session_endpoint. Returns false when
 * neither exists (the app just shows its start page).
 */
export async function signOutAtProvider(): Promise<boolean> {
  const um = userManager();
  const returnTo = `${location.origin}/`;
  if (oidcSettings.logoutUrl) {
    await um.removeUser();
    location.assign(providerLogoutUrl(oidcSettings.logoutUrl, oidcSettings.clientId, returnTo));
    return true;
  }
  const endSession = await um.metadataService.getEndSessionEndpoint().catch(() => undefined);
  if (endSession) {
    // Sends the ID token as id_token_hint, removes the user, then leaves for the provider.
    await um.signoutRedirect({ post_logout_redirect_uri: returnTo });
    return true;
  }
  await um.removeUser();
  return false;
}
