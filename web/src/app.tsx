/**
 * The shell: header with navigation and language switch, and the routes (preact-iso).
 * /docs (the API reference, its own page: web/docs.html) and /v1/... are outside the
 * router's scope, so links to them load the real page.
 */
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import type { ComponentChildren } from 'preact';
import { lang, t } from './i18n';
import { session, sessionChecked, signOut } from './session';
import { AuthCallback, SignIn } from './pages/sign-in';
import { oidcEnabled } from './oidc-config';
import { Concerts } from './pages/concerts';
import { WaitingRoom } from './pages/waiting-room';
import { Booking } from './pages/booking';
import { History } from './pages/history';
import { Admin } from './pages/admin';

function Header() {
  const tx = t();
  const { route } = useLocation();
  return (
    <header class="top">
      <a class="brand" href="/">
        {tx.appName}
      </a>
      <nav aria-label="main">
        <a href="/">{tx.navConcerts}</a>
        {session.value && (
          <a href="/history" data-testid="nav-history">
            {tx.navHistory}
          </a>
        )}
        {session.value?.admin && (
          <a href="/admin" data-testid="nav-admin">
            {tx.navAdmin}
          </a>
        )}
        <a href="/docs">{tx.apiDocs}</a>
      </nav>
      <div class="who">
        <button type="button" class="link" data-testid="lang-toggle" lang={lang.value === 'ko' ? 'en' : 'ko'} onClick={() => (lang.value = lang.value === 'ko' ? 'en' : 'ko')}>
          {tx.switchLang}
        </button>
        {session.value && (
          <>
            <span data-testid="signed-in-as">{session.value.userId}</span>
            <button
              type="button"
              class="link"
              data-testid="sign-out"
              onClick={async () => {
                signOut();
                route('/');
                // OIDC: forget the tokens and end the provider's session too (it leaves the page).
                // A provider that cannot be reached leaves the user signed out here only.
                if (oidcEnabled) await (await import('./oidc')).signOutAtProvider().catch(() => false);
              }}
            >
              {tx.signOut}
            </button>
          </>
        )}
      </div>
    </header>
  );
}

/** Pages that need a signed-in user show the sign-in form first. */
function Signed({ children }: { children: ComponentChildren }) {
  if (!sessionChecked.value) return <p class="muted" data-testid="session-checking">{t().signingIn}</p>;
  return session.value ? <>{children}</> : <SignIn />;
}

const page = (C: (p: any) => any) => (p: any) => (
  <Signed>
    <C {...p} />
  </Signed>
);

const ConcertsPage = page(Concerts);
const WaitingPage = page(WaitingRoom);
const BookingPage = page(Booking);
const HistoryPage = page(History);
const AdminPage = page(Admin);

/** Paths the app routes itself; anything else (/docs, /v1/...) is a real page load. */
const APP_SCOPE = /^\/(?!docs(?:[/?#]|$)|v1\/)/;

export function App() {
  return (
    <LocationProvider scope={APP_SCOPE}>
      <Header />
      <main>
        <Router>
          <Route path="/" component={ConcertsPage} />
          <Route path="/signin" component={SignIn} />
          <Route path="/auth/callback" component={AuthCallback} />
          <Route path="/queue/:concertId" component={WaitingPage} />
          <Route path="/book/:concertId" component={BookingPage} />
          <Route path="/history" component={HistoryPage} />
          <Route path="/admin/:concertId?" component={AdminPage} />
          <Route default component={ConcertsPage} />
        </Router>
      </main>
    </LocationProvider>
  );
}
