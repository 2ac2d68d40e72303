import { describe, expect, it } from 'vitest';
import { retryDelay } from './schedule.js';
import { parseRetryAfter } from './send.js';
import { parseWebhookSecret } from './signature.js';

const bounds = { retryMinMs: 1000, retryMaxMs: 3_600_000 };

describe('retryDelay', () => {
  it('doubles from the minimum up to the maximum', () => {
    const middle = () => 0.5; // no jitter
    expect([1, 2, 3, 4].map((n) => retryDelay(n, bounds, undefined, middle))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelay(30, bounds, undefined, middle)).toBe(3_600_000);
    expect(retryDelay(10_000, bounds, undefined, middle)).toBe(3_600_000);
  });

  it('spreads each delay by ±20 % and never leaves the bounds', () => {
    expect(retryDelay(3, bounds, undefined, () => 0)).toBe(3200);
    expect(retryDelay(3, bounds, undefined, () => 0.999999)).toBe(4800);
    expect(retryDelay(1, bounds, undefined, () => 0)).toBe(1000);
    expect(retryDelay(40, bounds, undefined, () => 0.999999)).toBe(3_600_000);
  });

  it('takes a Retry-After within the bounds', () => {
    expect(retryDelay(1, bounds, 120_000)).toBe(120_000);
    expect(retryDelay(1, bounds, 0)).toBe(1000);
    expect(retryDelay(1, bounds, 86_400_000)).toBe(3_600_000);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('parseWebhookSecret', () => {
  it('takes whsec_ with base64 and nothing else', () => {
    expect(parseWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')?.length).toBe(24);
    expect(parseWebhookSecret('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBeUndefined();
    expect(parseWebhookSecret('whsec_')).toBeUndefined();
    expect(parseWebhookSecret('whsec_not base64!')).toBeUndefined();
  });
});
