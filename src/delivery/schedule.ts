export interface RetryBounds {
  retryMinMs: number;
  retryMaxMs: number;
}

/** Delay before the next attempt after `failures` failed ones: min, 2·min, 4·min, ... up to max. */
export function retryDelay(failures: number, { retryMinMs, retryMaxMs }: RetryBounds): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 40);
  return Math.min(retryMaxMs, retryMinMs * 2 ** exponent);
}
