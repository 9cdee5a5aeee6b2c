import { describe, expect, it } from 'vitest';
import { cell, renderKeyValues, renderTable, shortDate, shortDateTime } from '../../../cli/sales/format.js';

describe('sales CLI formatting', () => {
  it('renders a fixed-width table with right-aligned numbers and no trailing spaces', () => {
    const table = renderTable(
      [{ header: 'ID' }, { header: 'CREDITS', align: 'right' }, { header: 'NOTE' }],
      [
        ['a', 1500, 'x'],
        ['bbbb', 7, undefined],
      ],
    );
    expect(table.split('\n')).toEqual([
      'ID    CREDITS  NOTE',
      '----  -------  ----',
      'a       1,500  x',
      'bbbb        7',
    ]);
  });

  it('cuts long cells to maxWidth with an ellipsis', () => {
    const table = renderTable([{ header: 'NAME', maxWidth: 6 }], [['Acme Corporation']]);
    expect(table.split('\n')[2]).toBe('Acme …');
  });

  it('shortens ISO dates and leaves anything else alone', () => {
    expect(shortDate('2026-05-01T10:00:00.000Z')).toBe('2026-05-01');
    expect(shortDate('2026-05-01')).toBe('2026-05-01');
    expect(shortDate(undefined)).toBe('');
    expect(shortDate('soon')).toBe('soon');
    expect(shortDateTime('2026-05-01T10:04:59.000Z')).toBe('2026-05-01 10:04');
  });

  it('strips terminal control and bidi characters from values', () => {
    expect(cell('Acme\u001b[31m Ltd\u202e\r\n')).toBe('Acme[31m Ltd  ');
    expect(cell(true)).toBe('yes');
    expect(cell(false)).toBe('no');
  });

  it('renders key/value blocks without empty values', () => {
    expect(
      renderKeyValues([
        ['Status', 'active'],
        ['Business', undefined],
        ['Active credits', 10],
      ]),
    ).toBe('  Status          active\n  Active credits  10');
  });
});
