/**
 * Sign in. Local stages: a user id and the development-token endpoint. With
 * VITE_OIDC_AUTHORITY set (deployed stages): one button to the configured OIDC provider
 * (web/src/oidc.ts), which comes back to /auth/callback and then to this page's path.
 */
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, unwrap, ApiError } from '../api/client';
import { t } from '../i18n';
import { callbackPath, oidcEnabled } from '../oidc-config';
import { session, sessionChecked, signInExpired } from '../session';
import { ErrorBox } from './parts';

export function SignIn() {
  return oidcEnabled ? <SignInWithProvider /> : <SignInWithDevToken />;
}

function SignInWithProvider() {
  const tx = t();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const start = async () => {
    setBusy(true);
    setError(null);
    const here = location.pathname + location.search;
    const returnTo = here.startsWith('/signin') || here.startsWith(callbackPath) ? '/' : here;
    try {
      const { signInWithProvider } = await import('../oidc');
      await signInWithProvider(returnTo);
    } catch (err) {
      setBusy(false);
      setError(new Error(`${tx.signInFailed} ${(err as Error).message}`));
    }
  };
  return (
    <section class="card narrow">
      <h1>{tx.signInTitle}</h1>
      {signInExpired.value && (
        <p class="notice" role="status" data-testid="sign-in-expired">
          {tx.signInExpired}
        </p>
      )}
      <p class="muted">{tx.signInOidcHelp}</p>
      <button type="button" class="primary" data-testid="sign-in-oidc" disabled={busy} onClick={start}>
        {tx.signIn}
      </button>
      <ErrorBox error={error} />
    </section>
  );
}

/** /auth/callback: completes the provider's sign-in, then goes back where the user was. */
export function AuthCallback() {
  const tx = t();
  const { route } = useLocation();
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    if (!oidcEnabled) {
      route('/', true);
      return;
    }
    import('../oidc')
      .then((m) => m.completeSignIn())
      // Replaces the callback URL (with its code and state) in the history.
      .then((to) => to && route(to, true))
      .catch((err: Error) => {
        // The module may not have loaded: the other pages must not wait for it.
        sessionChecked.value = true;
        setError(new Error(`${tx.signInFailed} ${err.message}`));
      });
  }, []);
  if (!error) return <p class="muted">{tx.signingIn}</p>;
  return (
    <section class="card narrow">
      <h1>{tx.signInTitle}</h1>
      <ErrorBox error={error} />
      <a href="/signin">{tx.signInAgain}</a>
    </section>
  );
}

function SignInWithDevToken() {
  const tx = t();
  const [userId, setUserId] = useState('');
  const [admin, setAdmin] = useState(location.pathname.startsWith('/admin'));
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const { token } = await unwrap(api.POST('/v1/dev/tokens', { body: { userId: userId.trim(), admin } }));
      session.value = { userId: userId.trim(), token, admin };
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <section class="card narrow">
      <h1>{tx.signInTitle}</h1>
      <p class="muted">{tx.signInHelp}</p>
      <form onSubmit={submit}>
        <label>
          {tx.userId}
          <input data-testid="user-id" name="userId" autocomplete="username" required value={userId} onInput={(e) => setUserId(e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" data-testid="sign-in-admin" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} />
          {tx.asAdmin}
        </label>
        <button type="submit" data-testid="sign-in">
          {tx.signIn}
        </button>
      </form>
      <ErrorBox error={error} />
    </section>
  );
}
