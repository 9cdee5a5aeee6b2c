/** The setup session cookie: `__Host-` (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax (R4). */
export const SESSION_COOKIE = '__Host-setup';
/**
 * The returning buyer's cookie (sign-in, then signed-in session): sent only to `/account`
 * pages, so `__Secure-` (a `__Host-` cookie must have Path=/); HttpOnly, SameSite=Lax.
 */
export const ACCOUNT_COOKIE = '__Secure-account';

export function sessionCookie(value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly; Secure; SameSite=Lax`;
}

export function accountCookie(value: string, maxAgeSeconds: number): string {
  return `${ACCOUNT_COOKIE}=${value}; Path=/account; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly; Secure; SameSite=Lax`;
}

/** A cookie's value from a function URL event's `cookies` (or a Cookie header), if it looks like ours. */
function readCookie(
  name: string,
  cookies: readonly string[] | undefined,
  header?: string,
): string | undefined {
  const all = [...(cookies ?? []), ...(header ? header.split(';') : [])];
  for (const cookie of all) {
    const [key, ...rest] = cookie.trim().split('=');
    if (key === name) {
      const value = rest.join('=');
      return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** The session cookie's value from a function URL event's `cookies` (or a Cookie header). */
export function readSessionCookie(
  cookies: readonly string[] | undefined,
  header?: string,
): string | undefined {
  return readCookie(SESSION_COOKIE, cookies, header);
}

export function readAccountCookie(
  cookies: readonly string[] | undefined,
  header?: string,
): string | undefined {
  return readCookie(ACCOUNT_COOKIE, cookies, header);
}
