import { render } from 'preact';
import { App } from './app';
import { callbackPath, oidcEnabled } from './oidc-config';
import './styles.css';

if (oidcEnabled && location.pathname === callbackPath && window.parent !== window) {
  // oidc-client-ts's silent renew (a hidden iframe): hand the answer to the app, show nothing.
  void import('./oidc').then((m) => m.completeSignIn());
} else {
  if (oidcEnabled && location.pathname !== callbackPath) void import('./oidc').then((m) => m.startOidc());
  render(<App />, document.getElementById('app')!);
}
