import { html, type SafeHtml } from '../../../lib/adapters/http/html.js';

/**
 * The policy the pages are written for: no script, no third-party resource, only our own
 * stylesheet. The chain sends it as a header (`securityHeaders`), with `frame-ancestors 'none'`,
 * which a meta tag cannot carry; the pages repeat it in a meta tag. `form-action` is left out
 * on purpose: browsers apply it to the redirect after a form POST, and Activate redirects to
 * the product console.
 */
const PAGE_DIRECTIVES = {
  'default-src': "'none'",
  'style-src': "'self'",
  'img-src': "'self'",
  'base-uri': "'none'",
} as const;

/** The header's directives: the pages' own, and no framing. */
export const CSP_DIRECTIVES: Readonly<Record<string, string>> = {
  ...PAGE_DIRECTIVES,
  'frame-ancestors': "'none'",
};

export const CONTENT_SECURITY_POLICY = Object.entries(PAGE_DIRECTIVES)
  .map(([name, value]) => `${name} ${value}`)
  .join('; ');

export interface LayoutOptions {
  /** The page's heading; also the document title. */
  readonly title: string;
  readonly body: SafeHtml;
  readonly productName?: string;
  /** Shown in the footer of every page, so a stuck buyer always knows whom to ask. */
  readonly supportEmail?: string;
}

export function layout({ title, body, productName, supportEmail }: LayoutOptions): SafeHtml {
  const product = productName?.trim() || 'Account setup';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${title} – ${product}</title>
<link rel="stylesheet" href="/styles.css">
</head>
<body>
<header class="site"><p class="product">${product}</p></header>
<main>
<h1>${title}</h1>
${body}
</main>
<footer class="site">${
    supportEmail
      ? html`<p>Need help? Email <a href="mailto:${supportEmail}">${supportEmail}</a>.</p>`
      : html`<p>Need help? Contact the ${product} support team.</p>`
  }</footer>
</body>
</html>
`;
}
