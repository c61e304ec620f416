// The viewer's access token (docs/SECURITY.md). It arrives in the URL fragment (#token=...: never
// sent to any server, so it stays out of proxy logs), or typed into the form; it is kept in
// sessionStorage (this tab only, gone when the tab closes) and the fragment is removed from the
// address bar. Sent on /stream/list as Authorization: Bearer and on the WebSocket as the
// subprotocol "sdr.token.<token>" next to "sdr.v1" (browsers cannot set WebSocket headers).

const KEY = 'sdr.token';

/** The token from #token=... (moved into sessionStorage) or from an earlier visit in this tab; null if none. */
export function takeToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromUrl = fragment.get('token');
  if (fromUrl) {
    sessionStorage.setItem(KEY, fromUrl);
    fragment.delete('token');
    const rest = fragment.toString();
    history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  }
  return sessionStorage.getItem(KEY);
}

export function storeToken(token) {
  if (token) {
    sessionStorage.setItem(KEY, token);
  } else {
    sessionStorage.removeItem(KEY);
  }
}

export function authHeaders(token) {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** The WebSocket subprotocols to offer: none without a token (as before authentication existed). */
export function protocols(token) {
  return token ? ['sdr.v1', `sdr.token.${token}`] : undefined;
}

/**
 * The token's claims, read without checking the signature (the server checks it): only to decide
 * what the page offers, e.g. the keyframe button. null without a token or when it is not a JWT.
 */
export function tokenClaims(token) {
  if (!token) {
    return null;
  }
  const parts = token.split('.');
  if (parts.length !== 3) {
    return null;
  }
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json);
    return claims && typeof claims === 'object' ? claims : null;
  } catch (notJwt) {
    return null;
  }
}

/** Whether the page should offer keyframe requests: always without a token (tokens off), else the token's sdr.keyframe. */
export function mayRequestKeyframes(token) {
  if (!token) {
    return true;
  }
  const claims = tokenClaims(token);
  return Boolean(claims && claims.sdr && claims.sdr.keyframe === true);
}

/** Whether the page should offer clips: always without a token (the server decides), else the token's sdr.record. */
export function mayTakeClips(token) {
  if (!token) {
    return true;
  }
  const claims = tokenClaims(token);
  return Boolean(claims && claims.sdr && claims.sdr.record === true);
}
