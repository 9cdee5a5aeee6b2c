/** The setup session cookie: `__Host-` (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax (R4). */
export const SESSION_COOKIE = '__Host-setup';

export function sessionCookie(value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly; Secure; SameSite=Lax`;
}

/** The session cookie's value from a function URL event's `cookies` (or a Cookie header). */
export function readSessionCookie(
  cookies: readonly string[] | undefined,
  header?: string,
): string | undefined {
  const all = [...(cookies ?? []), ...(header ? header.split(';') : [])];
  for (const cookie of all) {
    const [name, ...rest] = cookie.trim().split('=');
    if (name === SESSION_COOKIE) {
      const value = rest.join('=');
      return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}
