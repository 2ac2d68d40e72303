/**
 * Money amounts stay decimal strings from the wire to the database (numeric) and back: no
 * floating point ever touches a sum.
 */
export type AmountProblem = 'format' | 'zero' | 'too-large';

const AMOUNT = /^(\d+)(?:\.(\d{1,2}))?$/;
const MAX_INTEGER_DIGITS = 12;

/** "10.4" -> "10.40"; refuses signs, exponents, more than two decimals, zero and absurd sizes. */
export function parseAmount(raw: string | undefined): { amount: string } | { problem: AmountProblem } {
  const match = raw === undefined ? null : AMOUNT.exec(raw);
  if (!match) return { problem: 'format' };
  const integer = match[1]!.replace(/^0+(?=\d)/, '');
  const amount = `${integer}.${(match[2] ?? '').padEnd(2, '0')}`;
  if (integer.length > MAX_INTEGER_DIGITS) return { problem: 'too-large' };
  if (/^0\.00$/.test(amount)) return { problem: 'zero' };
  return { amount };
}

/**
 * The JSON number literal of a numeric, spelled as the replaced containers did: "45.00" -> 45.0,
 * "10.40" -> 10.4, "10.45" -> 10.45. Written from the decimal digits, never through a float,
 * and never cut: a value with more places keeps them all.
 */
export function jsonNumber(value: string): string {
  const [integer, fraction = ''] = value.split('.');
  return `${integer}.${fraction.replace(/0+$/, '') || '0'}`;
}
