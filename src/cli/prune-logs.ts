/**
 * Deleting old request-log rows, a batch at a time so that no statement holds many locks or
 * runs long: each batch finds its rows through the index on created_at, oldest first.
 */
import type { EnvReader } from '../config/index.js';
import type { Db } from '../db/index.js';
import type { createLogger } from '../log.js';

const BATCH = 5000;
const DAY_MS = 86_400_000;

/** Rows deleted per provider. `pauseMs` between batches leaves room for the gateway's own work. */
export async function pruneRequestLogs(
  db: Db,
  providers: string[],
  olderThanMs: number,
  pauseMs = 0,
): Promise<Record<string, number>> {
  const [{ cutoff }] = (await db.query<{ cutoff: Date }>(`SELECT now() - $1 * interval '1 millisecond' AS cutoff`, [
    olderThanMs,
  ])) as [{ cutoff: Date }];
  const deleted: Record<string, number> = {};
  for (const provider of providers) {
    const table = db.table(`${provider}_http_log`);
    deleted[provider] = 0;
    for (;;) {
      const [row] = await db.query<{ n: number }>(
        `WITH gone AS (
           DELETE FROM ${table} WHERE id IN (
             SELECT id FROM ${table} WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
           RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [cutoff, BATCH],
      );
      const n = Number(row?.n ?? 0);
      deleted[provider] += n;
      if (n < BATCH) break;
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
  return deleted;
}

/** `30d`, `12h` or `90m` in milliseconds; undefined when the text is none of those. */
export function parseAge(text: string): number | undefined {
  const match = /^(\d{1,6})([dhm])$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { d: DAY_MS, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
  const ms = Number(match[1]) * unit;
  return ms > 0 ? ms : undefined;
}

/**
 * How many days the request log keeps (90 unless said): the log grows with every request,
 * strangers' included, where payments are kept forever. `0` keeps it forever, on purpose.
 */
export function readRetentionDays(env: EnvReader): number | undefined {
  const days = env.int('HTTP_LOG_RETENTION_DAYS', 90, 0, 36_500);
  return days === 0 ? undefined : days;
}

const FIRST_RUN_MS = 5000;
const EVERY_MS = 3_600_000;

/**
 * While serving: prunes a few seconds after start, then hourly. Replicas may prune at the same
 * time; SKIP LOCKED lets them share the work instead of waiting for each other. Returns the stop.
 */
export function startRetention(
  db: Db,
  instances: { name: string }[],
  days: number | undefined,
  logger: ReturnType<typeof createLogger>,
): () => void {
  if (days === undefined) return () => undefined;
  const names = instances.map(({ name }) => name);
  let running: Promise<void> | undefined;
  const prune = () => {
    running ??= pruneRequestLogs(db, names, days * DAY_MS, 100)
      .then((deleted) => {
        if (Object.values(deleted).some((n) => n > 0)) logger.info({ deleted, days }, 'request log pruned');
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'request log pruning failed; tried again later'))
      .finally(() => (running = undefined));
  };
  const first = setTimeout(prune, FIRST_RUN_MS);
  const hourly = setInterval(prune, EVERY_MS);
  return () => {
    clearTimeout(first);
    clearInterval(hourly);
  };
}
