/**
 * Wrong tokens (ADMIN_TOKEN, METRICS_TOKEN), counted per address: after MAX_FAILURES within
 * WINDOW_MS of an address's first failure, that address is refused (429) until the window ends,
 * even with the right token, or guessing could go on and tell the right one by its answer. The right token does not reset
 * the count: a script signing in from the same address must not give a guesser new tries.
 * An IPv6 address counts as its /64 (throttleKey). Sessions already signed in are not touched.
 * Each process counts its own (replicas each allow as many), and a restart forgets.
 */

import type { FastifyReply, FastifyRequest } from 'fastify';
import { isIPv6 } from 'node:net';
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
    const entry = this.current(throttleKey(ip));
    return entry && entry.count >= MAX_FAILURES ? Math.ceil((entry.until - this.now()) / 1000) : 0;
  }

  /** Counts a wrong token from `ip`; true when this one used up its tries. */
  failed(ip: string): boolean {
    const key = throttleKey(ip);
    const entry = this.current(key) ?? { count: 0, until: this.now() + WINDOW_MS };
    entry.count++;
    this.failures.delete(key);
    this.failures.set(key, entry);
    if (this.failures.size > MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value!);
    return entry.count === MAX_FAILURES;
  }

  private current(key: string): Failures | undefined {
    const entry = this.failures.get(key);
    if (entry && entry.until <= this.now()) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }
}

/**
 * What the wrong tokens of `ip` are counted under. An IPv6 address counts as its /64: a host or a
 * customer's line is usually given a whole /64 and may send from any of its 2^64 addresses, so
 * counting them one by one would let one guesser try without end. An IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`, how a dual-stack socket shows an IPv4 client) is its IPv4 address, which
 * counts alone as before. Anything else is taken as it is.
 */
export function throttleKey(ip: string): string {
  const groups = ipv6Groups(ip);
  if (!groups) return ip;
  if (isIPv4Mapped(groups)) return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  const prefix = groups.slice(0, 4).map((group) => group.toString(16));
  return `${prefix.join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (`::` filled in, a dotted IPv4 tail as two groups); undefined for anything else. */
function ipv6Groups(ip: string): number[] | undefined {
  if (!isIPv6(ip)) return undefined;
  const address = ip.replace(/%.*$/, ''); // a zone (fe80::1%eth0) names the interface, not the address
  const hex = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    [(Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d)].map((group) => group.toString(16)).join(':'),
  );
  const [head, tail] = hex.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((group) => Number.parseInt(group, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}

/** `::ffff:0:0/96`. */
function isIPv4Mapped(groups: number[]): boolean {
  return groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
}

/** Counts a wrong token from the request's address, and logs when the address has used up its tries. */
export function countWrongToken(throttle: TokenThrottle, request: FastifyRequest, what: string): void {
  if (throttle.failed(request.ip)) {
    request.log.warn(
      { ip: request.ip, refused: throttleKey(request.ip), minutes: WINDOW_MS / 60_000 },
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
