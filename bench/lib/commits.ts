/**
 * The gateway's own account of a load, read from its /metrics before and after it: how many
 * commits of pays, how many pays each, how long, how many over 50 ms, and how late its event
 * loop ran (prom-client resets that at each scrape, so the second one covers the load). A tail
 * in the answers that matches slow commits is the database's (its flush, a checkpoint, its
 * CPU); one that matches a late event loop is the gateway's CPU; one with neither happened
 * outside the gateway (the load generator, the machine).
 */
export interface CommitHistogram {
  count: number;
  sum: number;
  seconds: number;
  /** The event loop's delay since the scrape before, p99 and max, in seconds. */
  loopLag: { p99: number; max: number };
  /** Cumulative counts by upper bound in seconds, as Prometheus writes them. */
  buckets: Map<number, number>;
}

const SLOW_SECONDS = 0.05;

/** prom-client samples the event loop with a timer of 10 ms and reports the intervals whole. */
const LOOP_TIMER_MS = 10;

/** The `payrelay_pay_commit_*` histograms of `provider` from the gateway at `origin`. */
export async function scrapeCommits(origin: string, provider: string): Promise<CommitHistogram> {
  const lines = (await (await fetch(new URL('/metrics', origin))).text()).split('\n');
  const value = (series: string) => {
    const line = lines.find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
  const buckets = new Map<number, number>();
  const bucket = new RegExp(`^payrelay_pay_commit_duration_seconds_bucket\\{le="([^"]+)",provider="${provider}"\\} (\\d+)$`);
  for (const line of lines) {
    const match = bucket.exec(line);
    if (match) buckets.set(match[1] === '+Inf' ? Infinity : Number(match[1]), Number(match[2]));
  }
  return {
    count: value(`payrelay_pay_commit_pays_count{provider="${provider}"}`),
    sum: value(`payrelay_pay_commit_pays_sum{provider="${provider}"}`),
    seconds: value(`payrelay_pay_commit_duration_seconds_sum{provider="${provider}"}`),
    loopLag: { p99: value('nodejs_eventloop_lag_p99_seconds'), max: value('nodejs_eventloop_lag_max_seconds') },
    buckets,
  };
}

/**
 * What happened between two scrapes: `commits 1234 (16.2 pays, 1.8 ms each), 3 over 50 ms, the
 * slowest under 0.25 s; event loop late by 12 ms at p99, 40 ms at most`.
 */
export function describeCommits(before: CommitHistogram, after: CommitHistogram): string {
  const commits = after.count - before.count;
  if (commits === 0) return 'no commits';
  const within = (bound: number) => (after.buckets.get(bound) ?? 0) - (before.buckets.get(bound) ?? 0);
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  const slowest = bounds.find((bound) => within(bound) === commits);
  const slow = commits - within(SLOW_SECONDS);
  const pays = ((after.sum - before.sum) / commits).toFixed(1);
  const ms = (((after.seconds - before.seconds) / commits) * 1000).toFixed(1);
  const longest = bounds.filter(Number.isFinite).at(-1);
  const bound = slowest === Infinity ? `over ${longest} s` : `under ${slowest} s`;
  const late = (seconds: number) => Math.max(0, seconds * 1000 - LOOP_TIMER_MS).toFixed(0);
  const lag = `event loop late by ${late(after.loopLag.p99)} ms at p99, ${late(after.loopLag.max)} ms at most`;
  return `commits ${commits} (${pays} pays, ${ms} ms each), ${slow} over 50 ms, the slowest ${bound}; ${lag}`;
}
