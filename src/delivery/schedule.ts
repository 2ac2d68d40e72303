export interface RetryBounds {
  retryMinMs: number;
  retryMaxMs: number;
}

/**
 * Delay before the next attempt after `failures` failed ones: min, 2·min, 4·min, ... up to max,
 * each spread by about ±20 % so that payments failed together do not retry together. A
 * backend's Retry-After replaces the computed delay, kept within the same bounds.
 */
export function retryDelay(
  failures: number,
  { retryMinMs, retryMaxMs }: RetryBounds,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const clamp = (ms: number) => Math.round(Math.min(retryMaxMs, Math.max(retryMinMs, ms)));
  if (retryAfterMs !== undefined) return clamp(retryAfterMs);
  const exponent = Math.min(Math.max(failures - 1, 0), 40);
  const base = Math.min(retryMaxMs, retryMinMs * 2 ** exponent);
  return clamp(base * (0.8 + 0.4 * random()));
}
