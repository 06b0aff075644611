/** The shell: header with navigation and language switch, and the routes (preact-iso). */
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import type { ComponentChildren } from 'preact';
import { lang, t } from './i18n';
import { session, signOut } from './session';
import { SignIn } from './pages/sign-in';
import { Concerts } from './pages/concerts';
import { WaitingRoom } from './pages/waiting-room';
import { Booking } from './pages/booking';

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
              onClick={() => {
                signOut();
                route('/');
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

export function App() {
  return (
    <LocationProvider>
      <Header />
      <main>
        <Router>
          <Route path="/" component={ConcertsPage} />
          <Route path="/signin" component={SignIn} />
          <Route path="/queue/:concertId" component={WaitingPage} />
          <Route path="/book/:concertId" component={BookingPage} />
          <Route default component={ConcertsPage} />
        </Router>
      </main>
    </LocationProvider>
  );
}
