import { describe, expect, it } from 'vitest';
import { jsonNumber, parseAmount } from './amount.js';

describe('parseAmount', () => {
  it.each([
    ['10.45', '10.45'],
    ['10.4', '10.40'],
    ['152', '152.00'],
    ['007.50', '7.50'],
    ['0.01', '0.01'],
    ['999999999999.99', '999999999999.99'],
  ])('%s is %s', (raw, amount) => {
    expect(parseAmount(raw)).toEqual({ amount });
  });

  it.each([
    ['', 'format'],
    [undefined, 'format'],
    ['-1', 'format'],
    ['+1', 'format'],
    ['1e3', 'format'],
    ['10,45', 'format'],
    ['10.', 'format'],
    ['.5', 'format'],
    ['10.455', 'format'],
    [' 1', 'format'],
    ['0', 'zero'],
    ['0.00', 'zero'],
    ['1000000000000', 'too-large'],
  ])('%j is refused as %s', (raw, problem) => {
    expect(parseAmount(raw)).toEqual({ problem });
  });
});

describe('jsonNumber', () => {
  it('spells a numeric as the replaced containers did, without rounding', () => {
    expect(jsonNumber('45.00')).toBe('45.0');
    expect(jsonNumber('45')).toBe('45.0');
    expect(jsonNumber('10.40')).toBe('10.4');
    expect(jsonNumber('10.45')).toBe('10.45');
    expect(jsonNumber('10.455')).toBe('10.455');
    expect(jsonNumber('98765432109876.01')).toBe('98765432109876.01');
  });
});
