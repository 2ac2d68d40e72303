import { EnvReader, loadEnv, readCoreConfig } from '../config/index.js';
import { openDb, prepareDatabase } from '../db/index.js';
import { migratedProviders } from '../providers/index.js';
import { parseCommandLine, UsageError } from './args.js';
import { parseAge, pruneRequestLogs } from './prune-logs.js';
import type { CliCommand } from './types.js';

export const command: CliCommand = {
  name: 'prune',
  summary: 'delete request-log rows older than an age',
  help: `usage: payrelay prune --older-than AGE

Deletes the rows of every instance's request log (<name>_http_log) older than AGE, in
batches, and prints how many went. AGE is a whole number of days, hours or minutes: 30d, 12h,
90m. Payments and delivery attempts are never pruned.

While serving, HTTP_LOG_RETENTION_DAYS does the same every hour. With the embedded database,
run it while the gateway is stopped (PGlite allows one process at a time).`,
  async run(args) {
    const { values } = parseCommandLine(args, { 'older-than': { type: 'string' } });
    const age = values['older-than'];
    if (age === undefined) throw new UsageError('--older-than is required (like 30d)');
    const olderThanMs = parseAge(age);
    if (olderThanMs === undefined)
      throw new UsageError(`--older-than must be days, hours or minutes like 30d, 12h, 90m; got "${age}"`);

    const env = new EnvReader(loadEnv());
    const core = readCoreConfig(env);
    const instances = migratedProviders(env);
    await prepareDatabase(core.database, instances);
    const db = await openDb(core.database);
    try {
      const deleted = await pruneRequestLogs(
        db,
        instances.map(({ name }) => name),
        olderThanMs,
      );
      const total = Object.values(deleted).reduce((sum, n) => sum + n, 0);
      const each = Object.entries(deleted).map(([provider, n]) => `${provider} ${n}`);
      console.log(`deleted ${total} request-log rows older than ${age} (${each.join(', ')})`);
      return 0;
    } finally {
      await db.close();
    }
  },
};
