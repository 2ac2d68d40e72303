/**
 * Wrong admin tokens, counted per address: after MAX_FAILURES within WINDOW_MS of an address's
 * first failure, that address is refused (429) until the window ends, even with the right token,
 * or guessing could go on and tell the right one by its answer. The right token does not reset
 * the count: a script signing in from the same address must not give a guesser new tries.
 * Sessions already signed in are not touched. Each process counts its own (replicas each allow
 * as many), and a restart forgets.
 */

export const MAX_FAILURES = 10;
export const WINDOW_MS = 15 * 60_000;
/** Addresses remembered at most: a sweep from many addresses cannot grow this without bound. */
const MAX_ADDRESSES = 10_000;

interface Failures {
  count: number;
  /** When the window opened by the first failure ends. */
  until: number;
}

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
