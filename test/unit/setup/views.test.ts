import { describe, expect, it } from 'vitest';
import { layout } from '../../../functions/setup/views/layout.js';
import {
  type BusinessPageProps,
  businessPage,
  codePage,
  emailPage,
  landingPage,
  MESSAGE_KINDS,
  MESSAGE_STATUS,
  type MessageKind,
  messagePage,
  type Page,
  type PageContext,
  type ReviewPageProps,
  reviewPage,
} from '../../../functions/setup/views/pages.js';
import { STYLESHEET } from '../../../functions/setup/views/styles.js';
import { escapeHtml, html, raw, SafeHtml, safeUrl } from '../../../lib/adapters/http/html.js';

const ctx: PageContext = { productName: 'Acme Credits', supportEmail: 'support@acme.example' };
const CSRF = 'csrf-token-123';

/** The expected escaping, written out independently of the implementation. */
function escaped(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
    .replaceAll('`', '&#96;');
}

function business(overrides: Partial<BusinessPageProps> = {}): BusinessPageProps {
  return {
    csrf: CSRF,
    values: {},
    errors: {},
    dataCenterRegions: [
      { id: 'us-east-1', label: 'US East (N. Virginia)' },
      { id: 'eu-central-1', label: 'Europe (Frankfurt)' },
    ],
    timeZones: ['UTC', 'America/Los_Angeles', 'Europe/Berlin'],
    ...overrides,
  };
}

function review(overrides: Partial<ReviewPageProps> = {}): ReviewPageProps {
  return {
    csrf: CSRF,
    business: {
      name: 'Example Corp',
      country: 'United States',
      dataCenterRegion: 'us-east-1',
      timeZone: 'America/Los_Angeles',
    },
    contract: {
      productCode: 'prodcode123',
      contractId: 'c-0001',
      freeTrial: false,
      expiresAt: '2027-01-10T00:00:00Z',
      activeCredits: 12000,
      customerAWSAccountId: '123456789012',
    },
    items: [
      { itemNo: 1, origin: 'purchase', credits: 10000, expiresAt: '2027-01-10T00:00:00Z' },
      { itemNo: 2, origin: 'upgrade', credits: 2000, expiresAt: '2027-01-10T00:00:00Z' },
    ],
    expiresInMinutes: 185,
    ...overrides,
  };
}

/** Every page in a typical state, for checks that must hold on all of them. */
function everyPage(): Array<[string, Page]> {
  return [
    ['landing', landingPage(ctx)],
    ['email', emailPage(ctx, { csrf: CSRF })],
    ['email with error', emailPage(ctx, { csrf: CSRF, email: 'x', error: 'Enter a valid email address' })],
    [
      'code',
      codePage(ctx, { csrf: CSRF, email: 'a@b.example', resendAvailableInSeconds: 20, attemptsLeft: 5 }),
    ],
    [
      'code with error',
      codePage(ctx, {
        csrf: CSRF,
        email: 'a@b.example',
        error: 'That code is not right',
        resendAvailableInSeconds: 0,
        attemptsLeft: 2,
      }),
    ],
    ['business', businessPage(ctx, business())],
    [
      'business with errors',
      businessPage(
        ctx,
        business({
          errors: {
            name: 'Enter a name',
            country: 'Enter a country',
            dataCenterRegion: 'Choose',
            timeZone: 'Pick',
          },
        }),
      ),
    ],
    ['review', reviewPage(ctx, review())],
    ...MESSAGE_KINDS.map((kind): [string, Page] => [
      `message ${kind}`,
      messagePage(ctx, kind, { requestId: 'req-1', consoleUrl: 'https://console.example/' }),
    ]),
  ];
}

// ---------------------------------------------------------------------------------------------

describe('html', () => {
  it('escapes & < > " \' and backtick when a string is interpolated', () => {
    const out = html`<p title="${'a"b'}">${'& < > " \' `'}</p>`.toString();
    expect(out).toBe('<p title="a&quot;b">&amp; &lt; &gt; &quot; &#39; &#96;</p>');
  });

  it('keeps SafeHtml as it is when it is interpolated', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}</p>`.toString()).toBe('<p><b>&lt;i&gt;</b></p>');
    expect(inner).toBeInstanceOf(SafeHtml);
  });

  it('joins arrays and escapes the strings in them when an array is interpolated', () => {
    const out = html`<ul>${['<a>', 'b'].map((s) => html`<li>${s}</li>`)}${['<c>']}</ul>`.toString();
    expect(out).toBe('<ul><li>&lt;a&gt;</li><li>b</li>&lt;c&gt;</ul>');
  });

  it('renders nothing when the value is null, undefined or false', () => {
    expect(html`[${null}${undefined}${false}]`.toString()).toBe('[]');
  });

  it('renders numbers as text when a number is interpolated', () => {
    expect(html`${42}/${0}`.toString()).toBe('42/0');
  });

  it('passes a trusted constant through when it is wrapped in raw', () => {
    expect(html`${raw('<hr>')}`.toString()).toBe('<hr>');
    expect(escapeHtml('<hr>')).toBe('&lt;hr&gt;');
  });
});

describe('safeUrl', () => {
  it('accepts an absolute https or http URL when it parses', () => {
    expect(safeUrl('https://console.example/home')).toBe('https://console.example/home');
    expect(safeUrl('http://localhost:3000/')).toBe('http://localhost:3000/');
  });

  it('rejects the URL when it is javascript:, data:, relative, empty or missing', () => {
    for (const url of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,x',
      '/console',
      '',
      undefined,
    ]) {
      expect(safeUrl(url), String(url)).toBeUndefined();
    }
  });
});

describe('layout', () => {
  it('produces a complete, script-free page when given a title and body', () => {
    const out = layout({
      title: 'Hello',
      body: html`<p>Body</p>`,
      productName: 'Acme',
      supportEmail: 'help@acme.example',
    }).toString();
    expect(out.startsWith('<!doctype html>')).toBe(true);
    expect(out).toContain('<html lang="en">');
    expect(out).toContain('<meta charset="utf-8">');
    expect(out).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(out).toContain('<link rel="stylesheet" href="/styles.css">');
    expect(out).toMatch(/<header[^>]*>[\s\S]*Acme[\s\S]*<\/header>/);
    expect(out).toMatch(/<main>[\s\S]*<h1>Hello<\/h1>[\s\S]*<p>Body<\/p>[\s\S]*<\/main>/);
    expect(out).toMatch(/<footer[^>]*>[\s\S]*mailto:help@acme.example[\s\S]*<\/footer>/);
    expect(out).not.toContain('<script');
  });

  it('uses a generic product name and no mail link when none is passed', () => {
    const out = layout({ title: 'Hello', body: html`` }).toString();
    expect(out).toContain('Account setup');
    expect(out).not.toContain('mailto:');
  });
});

describe('STYLESHEET', () => {
  it('stays under 4 KB when encoded as UTF-8', () => {
    expect(Buffer.byteLength(STYLESHEET, 'utf8')).toBeLessThan(4096);
  });

  it('draws visible focus outlines when an element has keyboard focus', () => {
    expect(STYLESHEET).toMatch(/:focus-visible\{outline:/);
  });
});

describe('every page', () => {
  it.each(everyPage())('has no script and exactly one h1 when rendering %s', (_name, page) => {
    expect(page.html).not.toMatch(/<script/i);
    expect(page.html).not.toMatch(/\son[a-z]+=/i);
    expect(page.html.match(/<h1[\s>]/g)).toHaveLength(1);
  });

  it.each(everyPage())('loads no third-party resource when rendering %s', (_name, page) => {
    expect(page.html).not.toMatch(/\ssrc=/i);
    const links = [...page.html.matchAll(/<link\b[^>]*href="([^"]*)"/g)].map((m) => m[1]);
    expect(links).toEqual(['/styles.css']);
  });

  it.each(everyPage())('puts the csrf token in every form when rendering %s', (_name, page) => {
    const forms = page.html.match(/<form\b[\s\S]*?<\/form>/g) ?? [];
    for (const form of forms) {
      expect(form).toMatch(/^<form method="post" action="\/setup\/[a-z]+">/);
      expect(form).toContain(`<input type="hidden" name="csrf" value="${CSRF}">`);
    }
  });

  it.each(everyPage())('labels every visible input and select when rendering %s', (_name, page) => {
    const controls = [...page.html.matchAll(/<(input|select)\b([^>]*)>/g)].filter(
      (m) => !m[2]?.includes('type="hidden"'),
    );
    for (const control of controls) {
      const id = control[2]?.match(/\sid="([^"]+)"/)?.[1];
      expect(id, control[0]).toBeDefined();
      expect(page.html).toContain(`<label for="${id}">`);
    }
  });

  it.each(everyPage())('shows the support contact when rendering %s', (_name, page) => {
    expect(page.html).toContain('mailto:support@acme.example');
  });
});

// ---------------------------------------------------------------------------------------------
// Escaping: each field gets the payload plus its own name, so a field that is left unescaped,
// or silently dropped, is caught by name.

const PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' onmouseover='", 'A&B'];

type Value = (field: string) => string;

interface Renderer {
  readonly name: string;
  readonly fields: readonly string[];
  render(v: Value): Page;
}

const CTX_FIELDS = ['productName', 'supportEmail'];
const hostile = (v: Value): PageContext => ({
  productName: v('productName'),
  supportEmail: v('supportEmail'),
});

const RENDERERS: Renderer[] = [
  { name: 'landing', fields: CTX_FIELDS, render: (v) => landingPage(hostile(v)) },
  {
    name: 'email',
    fields: [...CTX_FIELDS, 'csrf', 'email', 'error'],
    render: (v) => emailPage(hostile(v), { csrf: v('csrf'), email: v('email'), error: v('error') }),
  },
  {
    name: 'code',
    fields: [...CTX_FIELDS, 'csrf', 'email', 'error'],
    render: (v) =>
      codePage(hostile(v), {
        csrf: v('csrf'),
        email: v('email'),
        error: v('error'),
        resendAvailableInSeconds: 10,
        attemptsLeft: 3,
      }),
  },
  {
    name: 'business',
    fields: [
      ...CTX_FIELDS,
      'csrf',
      'name',
      'country',
      'regionId',
      'regionLabel',
      'zone',
      'nameError',
      'countryError',
      'regionError',
      'zoneError',
    ],
    render: (v) =>
      businessPage(hostile(v), {
        csrf: v('csrf'),
        values: {
          name: v('name'),
          country: v('country'),
          dataCenterRegion: v('regionId'),
          timeZone: v('zone'),
        },
        errors: {
          name: v('nameError'),
          country: v('countryError'),
          dataCenterRegion: v('regionError'),
          timeZone: v('zoneError'),
        },
        dataCenterRegions: [{ id: v('regionId'), label: v('regionLabel') }],
        timeZones: [v('zone')],
      }),
  },
  {
    name: 'review',
    fields: [
      ...CTX_FIELDS,
      'csrf',
      'businessName',
      'country',
      'region',
      'timeZone',
      'productCode',
      'contractId',
      'contractExpiresAt',
      'account',
      'itemNo',
      'origin',
      'itemExpiresAt',
    ],
    render: (v) =>
      reviewPage(hostile(v), {
        csrf: v('csrf'),
        business: {
          name: v('businessName'),
          country: v('country'),
          dataCenterRegion: v('region'),
          timeZone: v('timeZone'),
        },
        contract: {
          productCode: v('productCode'),
          contractId: v('contractId'),
          freeTrial: true,
          expiresAt: v('contractExpiresAt'),
          activeCredits: 5,
          customerAWSAccountId: v('account'),
        },
        items: [{ itemNo: v('itemNo'), origin: v('origin'), credits: 5, expiresAt: v('itemExpiresAt') }],
        expiresInMinutes: 30,
      }),
  },
  ...MESSAGE_KINDS.map(
    (kind): Renderer => ({
      name: `message ${kind}`,
      fields: [...CTX_FIELDS, 'requestId'],
      render: (v) => messagePage(hostile(v), kind, { requestId: v('requestId') }),
    }),
  ),
];

describe('page escaping', () => {
  it.each(RENDERERS)('escapes every hostile field when rendering the $name page', (renderer) => {
    for (const payload of PAYLOADS) {
      const v: Value = (field) => `${payload}#${field}`;
      const out = renderer.render(v).html;
      expect(out, payload).not.toContain(payload);
      for (const field of renderer.fields) {
        expect(out, `${field} with ${payload}`).toContain(escaped(v(field)));
      }
    }
  });

  it('links only to an http(s) console URL and escapes it when the URL is hostile', () => {
    const bad = messagePage(ctx, 'activated', { consoleUrl: 'javascript:alert(1)' }).html;
    expect(bad).not.toContain('javascript:');
    expect(bad).toContain('Sign in to Acme Credits');

    const good = messagePage(ctx, 'already-active', {
      consoleUrl: 'https://console.example/?a=1&b="x"',
    }).html;
    expect(good).toContain('href="https://console.example/?a=1&amp;b=%22x%22"');
    expect(good).not.toContain('"x"');
  });
});

// ---------------------------------------------------------------------------------------------

describe('landingPage', () => {
  it('sends the buyer to AWS Marketplace when no setup is in progress', () => {
    const page = landingPage(ctx);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Your software subscriptions');
    expect(page.html).toContain('Set up product');
    expect(page.html).not.toContain('<form');
  });
});

describe('emailPage', () => {
  it('renders the email form with status 200 when there is no error', () => {
    const page = emailPage(ctx, { csrf: CSRF });
    expect(page.status).toBe(200);
    expect(page.html).toContain('<form method="post" action="/setup/email">');
    expect(page.html).toMatch(
      /<input type="email" id="email" name="email" autocomplete="email" required maxlength="254"[^>]*value=""/,
    );
    expect(page.html).toContain('<label for="email">');
    expect(page.html).toContain('6-digit code');
    expect(page.html).toContain('valid for 3 minutes');
    expect(page.html).toContain('login ID');
    expect(page.html).toContain('cannot be changed later');
    expect(page.html).toContain('>Send code</button>');
    expect(page.html).not.toContain('role="alert"');
    expect(page.html).not.toContain('aria-invalid');
  });

  it('keeps the typed email and marks the field invalid with status 400 when there is an error', () => {
    const page = emailPage(ctx, { csrf: CSRF, email: 'not-an-email', error: 'Enter a valid email address' });
    expect(page.status).toBe(400);
    expect(page.html).toContain('role="alert"');
    expect(page.html).toContain('value="not-an-email"');
    expect(page.html).toContain('aria-invalid="true"');
    expect(page.html).toContain('aria-describedby="email-hint email-error"');
    expect(page.html).toContain('<p class="field-error" id="email-error">Enter a valid email address</p>');
  });
});

describe('codePage', () => {
  it('renders the code input for one-time codes when the code was sent', () => {
    const page = codePage(ctx, {
      csrf: CSRF,
      email: 'buyer@example.com',
      resendAvailableInSeconds: 0,
      attemptsLeft: 5,
    });
    expect(page.status).toBe(200);
    expect(page.html).toContain('<form method="post" action="/setup/code">');
    const input = page.html.match(/<input type="text"[^>]*>/)?.[0] ?? '';
    for (const attr of [
      'id="code"',
      'name="code"',
      'inputmode="numeric"',
      'autocomplete="one-time-code"',
      'pattern="[0-9]{6}"',
      'maxlength="6"',
      'required',
    ]) {
      expect(input).toContain(attr);
    }
    expect(page.html).toContain('<label for="code">');
    expect(page.html).toContain('buyer@example.com');
    expect(page.html).toContain('You have 5 tries left.');
    expect(page.html).toContain('<form method="post" action="/setup/resend">');
    expect(page.html).toContain('>Resend code</button>');
  });

  it('shows the resend countdown as text when the cooldown is running', () => {
    const page = codePage(ctx, {
      csrf: CSRF,
      email: 'buyer@example.com',
      resendAvailableInSeconds: 25,
      attemptsLeft: 1,
    });
    expect(page.html).toContain('Resend in 25 s</button>');
    expect(page.html).toContain('You have 1 try left.');
  });

  it('marks the code invalid with status 400 when the code was wrong', () => {
    const page = codePage(ctx, {
      csrf: CSRF,
      email: 'buyer@example.com',
      error: 'That code is not right',
      resendAvailableInSeconds: 0,
      attemptsLeft: 3,
    });
    expect(page.status).toBe(400);
    expect(page.html).toContain('role="alert"');
    expect(page.html).toContain('aria-invalid="true"');
    expect(page.html).toContain('id="code-error"');
  });
});

describe('businessPage', () => {
  it('selects the current data-centre region and time zone when values are given', () => {
    const page = businessPage(
      ctx,
      business({
        values: { name: 'Example Corp', dataCenterRegion: 'eu-central-1', timeZone: 'Europe/Berlin' },
      }),
    );
    expect(page.status).toBe(200);
    expect(page.html).toContain('<option value="eu-central-1" selected>Europe (Frankfurt)</option>');
    expect(page.html).toContain('<option value="us-east-1">US East (N. Virginia)</option>');
    expect(page.html).toContain('<option value="Europe/Berlin" selected>Europe/Berlin</option>');
    expect(page.html).toContain('<option value="UTC">UTC</option>');
    expect(page.html).toContain('value="Example Corp"');
    expect(page.html).not.toContain('role="alert"');
  });

  it('selects the placeholder when the current value is not in the list', () => {
    const page = businessPage(ctx, business({ values: { dataCenterRegion: 'mars-1' } }));
    expect(page.html).toContain('<option value="" selected>Choose a region</option>');
    expect(page.html).not.toContain('mars-1');
  });

  it('renders each field error next to its field with aria-invalid and status 400 when fields are wrong', () => {
    const page = businessPage(
      ctx,
      business({ errors: { name: 'Enter the business name', timeZone: 'Choose a time zone' } }),
    );
    expect(page.status).toBe(400);
    expect(page.html).toMatch(/<div class="error-summary" role="alert"/);
    expect(page.html).toContain('<a href="#name">Enter the business name</a>');
    expect(page.html).toContain('<a href="#timeZone">Choose a time zone</a>');
    expect(page.html).toMatch(
      /<p class="field-error" id="name-error">Enter the business name<\/p>\s*<input[^>]*id="name"[^>]*aria-describedby="name-error" aria-invalid="true">/,
    );
    expect(page.html).toMatch(
      /<select id="timeZone"[^>]*aria-describedby="timeZone-hint timeZone-error" aria-invalid="true">/,
    );
    expect(page.html).toMatch(/<input[^>]*id="country"[^>]*aria-describedby="country-hint">/);
    expect(page.html.match(/aria-invalid="true"/g)).toHaveLength(2);
  });

  it('limits the lengths and labels every field when the form is rendered', () => {
    const page = businessPage(ctx, business());
    expect(page.html).toContain('<form method="post" action="/setup/business">');
    expect(page.html).toMatch(/id="name"[^>]*maxlength="200"/);
    expect(page.html).toMatch(/id="country"[^>]*maxlength="100"/);
    for (const id of ['name', 'country', 'dataCenterRegion', 'timeZone']) {
      expect(page.html).toContain(`<label for="${id}">`);
    }
  });
});

describe('reviewPage', () => {
  it('shows dates in the business time zone when the zone is valid', () => {
    const page = reviewPage(ctx, review());
    expect(page.status).toBe(200);
    expect(page.html).toContain('<time datetime="2027-01-10T00:00:00.000Z">Jan 9, 2027, 4:00 PM PST</time>');
    expect(page.html).not.toContain('Jan 10, 2027');
  });

  it('falls back to UTC and says so when the time zone is invalid', () => {
    const page = reviewPage(
      ctx,
      review({ business: { ...review().business, timeZone: 'Mars/Olympus_Mons' } }),
    );
    expect(page.html).toContain('Jan 10, 2027, 12:00 AM UTC');
    expect(page.html).toContain('Dates are shown in UTC');
    expect(page.html).toContain('Mars/Olympus_Mons');
  });

  it('shows the business, the license and its items when rendering the review', () => {
    const page = reviewPage(ctx, review());
    for (const text of [
      'Example Corp',
      'United States',
      'us-east-1',
      'America/Los_Angeles',
      'prodcode123',
      'c-0001',
      '123456789012',
      '12,000',
      '10,000',
      '2,000',
      'Purchase',
      'Upgrade',
    ]) {
      expect(page.html).toContain(text);
    }
    expect(page.html).not.toContain('free trial');
  });

  it('shows a free-trial notice when the contract is a free trial', () => {
    const page = reviewPage(ctx, review({ contract: { ...review().contract, freeTrial: true } }));
    expect(page.html).toContain('This is a free trial.');
  });

  it('warns that activation is one-time and offers one Activate form when rendering the review', () => {
    const page = reviewPage(ctx, review());
    expect(page.html).toContain('Activation happens once.');
    expect(page.html).toContain('cannot be transferred');
    expect(page.html).toMatch(
      /<form method="post" action="\/setup\/activate">\s*<input type="hidden" name="csrf" value="csrf-token-123">\s*<button type="submit">Activate<\/button>/,
    );
  });

  it('says how long the setup window remains when minutes are left', () => {
    expect(reviewPage(ctx, review({ expiresInMinutes: 185 })).html).toContain('another 3 hours 5 minutes');
    expect(reviewPage(ctx, review({ expiresInMinutes: 60 })).html).toContain('another 1 hour.');
    expect(reviewPage(ctx, review({ expiresInMinutes: 1 })).html).toContain('another 1 minute.');
    expect(reviewPage(ctx, review({ expiresInMinutes: 0 })).html).toContain('another less than a minute.');
  });

  it('omits the AWS account row and the items table when they are absent', () => {
    const { customerAWSAccountId: _omit, ...contract } = review().contract;
    const page = reviewPage(ctx, review({ contract, items: [] }));
    expect(page.html).not.toContain('AWS account');
    expect(page.html).not.toContain('<table>');
    expect(page.html).toContain('No license items yet.');
  });
});

describe('messagePage', () => {
  const KEY_SENTENCES: Record<MessageKind, [number, string]> = {
    'setup-expired': [
      410,
      'This setup link has expired. In AWS Marketplace, open Your software subscriptions and choose Set up product to start again.',
    ],
    'no-session': [401, 'There is no setup in progress in this browser.'],
    'already-active': [200, 'This license is already active for your business.'],
    'activated-elsewhere': [409, 'This license was activated by another business.'],
    activated: [200, 'Your license is active'],
    'invalid-token': [400, 'The link from AWS Marketplace was not valid'],
    'expired-token': [400, 'The link from AWS Marketplace was too old to use.'],
    'missing-token': [400, 'It only works when you open it from AWS Marketplace.'],
    'marketplace-busy': [503, 'AWS Marketplace is busy right now'],
    'marketplace-unavailable': [
      502,
      'We could not reach AWS Marketplace to confirm your purchase. Nothing was lost.',
    ],
    'unknown-product': [404, 'is for a product that is not set up on this site.'],
    'unknown-contract': [404, 'We could not find an active subscription for this purchase yet.'],
    'contract-ended': [
      410,
      'This subscription has been cancelled or has expired, so there is nothing to activate.',
    ],
    csrf: [403, 'This form was too old, or it was not sent from this site'],
    'too-large': [413, 'What you sent was larger than this form accepts'],
    'unsupported-media-type': [415, 'The form was sent in a format this site does not accept'],
    'bad-request': [400, 'Something in what you sent could not be read, so nothing was changed.'],
    'method-not-allowed': [405, 'This address cannot be used like that.'],
    'not-found': [404, 'There is no page at this address.'],
    'too-many-attempts': [429, 'Go back and request a new code, or start again'],
    'code-limit': [429, 'We have sent as many verification codes as we may for now'],
    'too-many-requests': [429, 'Too many setups were started from your network'],
    'too-many-sign-ins': [429, 'Too many sign-in codes were asked for from your network'],
    'sign-in-too-many-attempts': [
      429,
      'Go back and ask for a new code, or <a href="/account">sign in</a> again.',
    ],
    'server-error': [500, 'Something went wrong on our side. Nothing was lost.'],
  };

  it.each(MESSAGE_KINDS)('has its status and key sentence when the kind is %s', (kind) => {
    const [status, sentence] = KEY_SENTENCES[kind];
    const page = messagePage(ctx, kind);
    expect(page.status).toBe(status);
    expect(MESSAGE_STATUS[kind]).toBe(status);
    expect(page.html).toContain(sentence);
  });

  it('covers exactly the documented kinds when listing them', () => {
    expect([...MESSAGE_KINDS].sort()).toEqual(Object.keys(KEY_SENTENCES).sort());
  });

  it('shows the request id and support contact when a server error happens', () => {
    const page = messagePage(ctx, 'server-error', { requestId: 'req-42' });
    expect(page.html).toContain('<span class="reference">req-42</span>');
    expect(page.html).toContain('quote the reference below');
    expect(page.html).toMatch(/<main>[\s\S]*mailto:support@acme\.example[\s\S]*<\/main>/);
  });

  it('links to the console when the license is active', () => {
    for (const kind of ['activated', 'already-active'] as const) {
      const page = messagePage(ctx, kind, { consoleUrl: 'https://console.acme.example/' });
      expect(page.html).toContain('href="https://console.acme.example/"');
    }
  });

  it('says licenses cannot be transferred and names support when activated elsewhere', () => {
    const page = messagePage(ctx, 'activated-elsewhere');
    expect(page.html).toContain('cannot be transferred');
    expect(page.html).toMatch(/<main>[\s\S]*mailto:support@acme\.example[\s\S]*<\/main>/);
  });

  it('shows no reference when no request id is given', () => {
    expect(messagePage(ctx, 'server-error').html).not.toContain('Reference:');
  });
});
