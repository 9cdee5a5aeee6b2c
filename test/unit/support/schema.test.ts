import { describe, expect, it } from 'vitest';
import {
  licenseSchema,
  reasonSchema,
  replaceCodeBodySchema,
  ticketSchema,
  transferBodySchema,
} from '../../../functions/support/schema.js';

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

describe('support schemas (R3, R11)', () => {
  it.each([
    'a1b2c3d4e5credits0example~L~l-0123456789abcdef0123456789abcdef',
    'prod-credits/x=1:a_b.c@d~C~X01EXAMPLEX',
    'direct~deal-42',
    'direct~crm:2026/Q1.deal_7',
    'direct~order~ORD-7~1',
    'direct~order~ord.2026:03~40',
  ])('takes the license id %s', (id) => {
    expect(ok(licenseSchema, id)).toBe(true);
  });

  it.each([
    ['a key', 'CONTRACT#x'],
    ['a key suffix', 'prod~L~l-1#ITEM#0001'],
    ['a second ~', 'prod~L~l-1~L~l-2'],
    ['another kind', 'prod~X~l-1'],
    ['a license id that is not l-…', 'prod~L~x-1'],
    ['a bare reference', 'deal-42'],
    ['a # in a reference', 'direct~deal#1'],
    ['an empty reference', 'direct~'],
    ['a ~ right after direct', 'direct~~x'],
    ['a reference starting with a dash', 'direct~-x'],
    ['a contract inside direct', 'direct~prod~L~l-1'],
    ['an order line 0', 'direct~order~ORD~0'],
    ['an order line past 999', 'direct~order~ORD~1000'],
    ['an order with a tail', 'direct~order~ORD~1~2'],
    ['spaces', 'direct~deal 42'],
    ['a NUL', 'direct~deal\u0000'],
    ['very long', `direct~${'a'.repeat(700)}`],
  ])('refuses %s as a license id', (_, id) => {
    expect(ok(licenseSchema, id)).toBe(false);
  });

  it('takes a reason a person wrote and refuses control, hidden and too little or too much text', () => {
    expect(ok(reasonSchema, 'Accounts merged (ticket from Jana, 30 April) — move it')).toBe(true);
    expect(ok(reasonSchema, 'x'.repeat(500))).toBe(true);
    for (const bad of [
      'abcd',
      '   abc   ',
      'x'.repeat(501),
      'a\tb c d e',
      'moved\nthere',
      'bell\u0007!!',
      'rtl \u202e here',
      'zero\u200bwidth',
      'line\u2028sep',
    ]) {
      expect(ok(reasonSchema, bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('takes ticket ids of ticketing systems and nothing else', () => {
    for (const good of ['SUP-1234', 'zendesk:98765', 'JIRA/OPS#12', 'a1'])
      expect(ok(ticketSchema, good), good).toBe(true);
    for (const bad of ['', 'a', '-x', 'SUP 1', `T${'1'.repeat(64)}`, 'SUP-1\n', 'tick@t'])
      expect(ok(ticketSchema, bad), bad).toBe(false);
  });

  it('refuses unknown fields in both bodies', () => {
    const transfer = {
      license: 'direct~deal-42',
      toBusinessId: 'biz-Xq3vA1b2C3d4E5f6G7h8',
      reason: 'Accounts merged',
      ticket: 'SUP-1',
    };
    expect(ok(transferBodySchema, transfer)).toBe(true);
    expect(ok(transferBodySchema, { ...transfer, by: 'me' })).toBe(false);
    expect(ok(transferBodySchema, { ...transfer, expectedFromBusinessId: 'BUSINESS#x' })).toBe(false);
    const replace = { code: 'PC-1234-5678-9012-3456', reason: 'Code leaked', ticket: 'SUP-1' };
    expect(ok(replaceCodeBodySchema, replace)).toBe(true);
    expect(ok(replaceCodeBodySchema, { ...replace, replacement: 'PC-x' })).toBe(false);
  });
});
