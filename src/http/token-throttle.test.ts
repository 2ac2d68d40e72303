import { describe, expect, it } from 'vitest';
import { MAX_FAILURES, TokenThrottle, WINDOW_MS } from './token-throttle.js';

describe('wrong tokens per address', () => {
  it('lets an address try again once the window of its first failure has passed', () => {
    let now = 1_000_000;
    const throttle = new TokenThrottle(() => now);
    for (let n = 1; n < MAX_FAILURES; n++) expect(throttle.failed('a')).toBe(false);
    expect(throttle.retryAfter('a')).toBe(0);
    expect(throttle.failed('a')).toBe(true);
    expect(throttle.retryAfter('a')).toBe(WINDOW_MS / 1000);
    expect(throttle.retryAfter('b')).toBe(0);
    now += WINDOW_MS - 1500;
    expect(throttle.retryAfter('a')).toBe(2);
    now += 1500;
    expect(throttle.retryAfter('a')).toBe(0);
    // A new window: a single failure does not refuse it again.
    expect(throttle.failed('a')).toBe(false);
    expect(throttle.retryAfter('a')).toBe(0);
  });

  it('forgets the oldest address rather than grow without bound', () => {
    const throttle = new TokenThrottle(() => 0);
    for (let n = 0; n < MAX_FAILURES; n++) throttle.failed('first');
    expect(throttle.retryAfter('first')).toBeGreaterThan(0);
    for (let n = 0; n < 10_000; n++) throttle.failed(`sweep-${n}`);
    expect(throttle.retryAfter('first')).toBe(0);
  });
});
