import httpSecurityHeaders from '@middy/http-security-headers';

/** The middleware leaves out a directive whose value is falsy; its types only admit strings. */
const OFF = false as unknown as string;

/**
 * middy's `http-security-headers` (Helmet's defaults: nosniff, `Referrer-Policy: no-referrer`,
 * `X-Frame-Options: DENY`, HSTS, COOP/COEP/CORP, a closed Permissions-Policy …) with a function's
 * own Content-Security-Policy directives. Four of Helmet's CSP defaults are turned off because
 * they would break what buyers rely on:
 * - `form-action 'none'` and `sandbox` block the setup forms, and browsers apply `form-action` to
 *   the redirect after a POST too (Activate's 303 to the vendor's console);
 * - `upgrade-insecure-requests` rewrites the stylesheet to https on the local stack's
 *   http://127.0.0.1 (function URLs are https only, so it adds nothing there);
 * - `report-to default` names a reporting group nobody configured.
 * Helmet's `require-trusted-types-for 'script'` stays: no page here runs script.
 */
export function securityHeaders(csp: Readonly<Record<string, string>>) {
  return httpSecurityHeaders({
    contentSecurityPolicy: {
      'form-action': OFF,
      sandbox: OFF,
      'upgrade-insecure-requests': OFF,
      'report-to': OFF,
      ...csp,
    },
  });
}
