/**
 * Sign in. Local stages: a user id and the development-token endpoint. Deployed stages
 * use the configured OIDC provider (not wired yet: see the README).
 */
import { useState } from 'preact/hooks';
import { api, unwrap, ApiError } from '../api/client';
import { t } from '../i18n';
import { session } from '../session';
import { ErrorBox } from './parts';

export function SignIn() {
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
