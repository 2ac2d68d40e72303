/**
 * Wrong tokens (ADMIN_TOKEN, METRICS_TOKEN), counted per address: after MAX_FAILURES within
 * WINDOW_MS of an address's first failure, that address is refused (429) until the window ends,
 * even with the right token, or guessing could go on and tell the right one by its answer. The right token does not reset
 * the count: a script signing in from the same address must not give a guesser new tries.
 * Sessions already signed in are not touched. Each process counts its own (replicas each allow
 * as many), and a restart forgets.
 */

import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasBearerToken } from './bearer.js';

export const MAX_FAILURES = 10;
export const WINDOW_MS = 15 * 60_000;
/** Addresses remembered at most: a sweep from many addresses cannot grow this without bound. */
const MAX_ADDRESSES = 10_000;

interface Failures {
  count: number;
  /** When the window opened by the first failure ends. */
  until: number;
}

/** One per token: a scraper with a stale METRICS_TOKEN does not lock anyone out of /admin. */
export class TokenThrottle {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Whole seconds until `ip` may try again; 0 when it may now. */
  retryAfter(ip: string): number {
    const entry = this.current(ip);
    return entry && entry.count >= MAX_FAILURES ? Math.ceil((entry.until - this.now()) / 1000) : 0;
  }

  /** Counts a wrong token from `ip`; true when this one used up its tries. */
  failed(ip: string): boolean {
    const entry = this.current(ip) ?? { count: 0, until: this.now() + WINDOW_MS };
    entry.count++;
    this.failures.delete(ip);
    this.failures.set(ip, entry);
    if (this.failures.size > MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value!);
    return entry.count === MAX_FAILURES;
  }

  private current(ip: string): Failures | undefined {
    const entry = this.failures.get(ip);
    if (entry && entry.until <= this.now()) {
      this.failures.delete(ip);
      return undefined;
    }
    return entry;
  }
}

/** Counts a wrong token from the request's address, and logs when the address has used up its tries. */
export function countWrongToken(throttle: TokenThrottle, request: FastifyRequest, what: string): void {
  if (throttle.failed(request.ip)) {
    request.log.warn(
      { ip: request.ip, minutes: WINDOW_MS / 60_000 },
      `${what}: too many wrong tokens, this address is refused for a while`,
    );
  }
}

/**
 * Answers a request that lacks the Bearer token: 429 while its address is refused, else 401
 * (a wrong token counted; no credential at all is not a guess). Undefined: the request may go on.
 */
export function refuseWithoutBearer(
  request: FastifyRequest,
  reply: FastifyReply,
  { token, throttle, what }: { token: string; throttle: TokenThrottle; what: string },
): FastifyReply | undefined {
  const wait = throttle.retryAfter(request.ip);
  if (wait > 0) return reply.code(429).header('retry-after', String(wait)).send({ error: 'too_many_wrong_tokens' });
  const { authorization } = request.headers;
  if (hasBearerToken(authorization, token)) return undefined;
  if (authorization !== undefined) countWrongToken(throttle, request, what);
  return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
}
