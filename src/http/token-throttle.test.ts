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

describe('IPv6 addresses counted by their /64', () => {
  // One customer or host usually gets a whole /64 and may pick any address in it: counted one
  // address at a time, a guesser would have 2^64 times the tries.
  it('refuses every address of a /64 once ten of its addresses sent wrong tokens, and no other /64', () => {
    const throttle = new TokenThrottle(() => 0);
    const used = Array.from({ length: MAX_FAILURES }, (_, n) => `2001:db8:1:2::${(n + 1).toString(16)}`);
    for (const ip of used.slice(0, -1)) expect(throttle.failed(ip)).toBe(false);
    expect(throttle.failed(used.at(-1)!)).toBe(true);

    expect(throttle.retryAfter('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(WINDOW_MS / 1000);
    expect(throttle.retryAfter('2001:0DB8:0001:0002:0000:0000:0000:0abc')).toBe(WINDOW_MS / 1000);
    expect(throttle.retryAfter('2001:db8:1:3::1')).toBe(0);
    expect(throttle.retryAfter('2001:db8:1::2')).toBe(0);
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address, and IPv4 addresses one by one', () => {
    const throttle = new TokenThrottle(() => 0);
    for (let n = 0; n < MAX_FAILURES / 2; n++) {
      throttle.failed('::ffff:192.0.2.1');
      throttle.failed('192.0.2.1');
    }
    expect(throttle.retryAfter('192.0.2.1')).toBe(WINDOW_MS / 1000);
    expect(throttle.retryAfter('::ffff:c000:201')).toBe(WINDOW_MS / 1000);
    expect(throttle.retryAfter('192.0.2.2')).toBe(0);
    expect(throttle.retryAfter('::ffff:192.0.2.2')).toBe(0);
  });
});
