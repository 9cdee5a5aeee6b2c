import { describe, expect, it } from 'vitest';
import { mailboxOf, sourceOf, windowStart } from '../../../lib/domain/setup/limits.js';

describe('setup budgets: what is counted together', () => {
  it('counts one mailbox whatever the case or +tag of the address (R7)', () => {
    expect(mailboxOf('Ann+1@Example.com')).toBe('ann@example.com');
    expect(mailboxOf(' ann+newsletter+x@example.com ')).toBe('ann@example.com');
    expect(mailboxOf('ann@example.com')).toBe('ann@example.com');
    // A leading + is the whole local part, not a tag.
    expect(mailboxOf('+ann@example.com')).toBe('+ann@example.com');
    // Gmail: dots do not count, googlemail.com is gmail.com; elsewhere dots do count.
    expect(mailboxOf('J.Ohn+x@googlemail.com')).toBe('john@gmail.com');
    expect(mailboxOf('j.o.h.n@gmail.com')).toBe('john@gmail.com');
    expect(mailboxOf('j.ohn@example.com')).toBe('j.ohn@example.com');
    // Another domain is another mailbox.
    expect(mailboxOf('ann@example.org')).not.toBe(mailboxOf('ann@example.com'));
  });

  it('counts an IPv4 address alone and an IPv6 address by its /64', () => {
    expect(sourceOf('203.0.113.7')).toBe('203.0.113.7');
    expect(sourceOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceOf('::ffff:198.51.100.4')).toBe('198.51.100.4');
    expect(sourceOf(undefined)).toBe('unknown');
    expect(sourceOf('')).toBe('unknown');
  });

  it('puts instants into fixed windows', () => {
    const budget = { windowMs: 10 * 60_000 };
    expect(windowStart(budget, new Date('2026-05-01T10:09:59.999Z'))).toBe(
      Date.parse('2026-05-01T10:00:00Z'),
    );
    expect(windowStart(budget, new Date('2026-05-01T10:10:00.000Z'))).toBe(
      Date.parse('2026-05-01T10:10:00Z'),
    );
  });
});
