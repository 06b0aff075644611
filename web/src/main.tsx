import { render } from 'preact';
import { App } from './app';
import { callbackPath, oidcEnabled } from './oidc-config';
import { sessionChecked } from './session';
import './styles.css';

if (oidcEnabled && location.pathname === callbackPath && window.parent !== window) {
  // oidc-client-ts's silent renew (a hidden iframe): hand the answer to the app, show nothing.
  void import('./oidc').then((m) => m.completeSignIn());
} else {
  if (oidcEnabled && location.pathname !== callbackPath) {
    // Should the module not load (a deploy replaced it, the network dropped), pages go on
    // with the stored session rather than wait for ever: the API's 401s show as errors.
    void import('./oidc')
      .then((m) => m.startOidc())
      .catch(() => {
        sessionChecked.value = true;
      });
  }
  render(<App />, document.getElementById('app')!);
}
