/** `payrelay redeliver <provider> <id>`: one payment sent to the merchant's backend again. */
import { ConfigError, type CoreConfig, EnvReader, loadEnv, readCoreConfig } from '../config/index.js';
import { openDb } from '../db/index.js';
import { parseTransactionId, redeliverOne } from '../delivery/redeliver.js';
import { configureProviders, migratedProviders } from '../providers/index.js';
import type { CliCommand } from './types.js';

const names = () => migratedProviders(new EnvReader(loadEnv())).map(({ name }) => name);

const HELP = `usage: payrelay redeliver <provider> <id>

Delivers one payment to the merchant's webhook URL again now, even if it was delivered: the
same body and the same webhook-id (the backend can tell it is a repeat), a new row in
<provider>_webhook_log. The payment is back at status 0 until the backend accepts it.

  <provider>   one of: ${names().join(', ')}
  <id>         payrelay's transaction id (the webhook's "id", the table's id column)

It marks the payment due in the database configured by the environment (DATABASE_URL, PG_*,
DATA_DIR, as for serve); a running payrelay sends it within WEBHOOK_POLL_MS. The embedded
database serves one process at a time: while a payrelay on it answers at HOST:PORT this
command refuses; use the dashboard or the admin API then, or run it while payrelay is stopped.

Exit status: 0 queued, 1 no such payment or the database failed, 2 bad arguments.`;

const USAGE = 'usage: payrelay redeliver <provider> <id>   (payrelay redeliver --help)';

export const command: CliCommand = {
  name: 'redeliver',
  summary: 'deliver one payment to the webhook again (same webhook-id, a new attempt)',
  help: HELP,
  async run(args) {
    if (args.includes('--help') || args.includes('-h')) return say(HELP, 0);
    if (args.length !== 2) return complain(USAGE, 2);
    const [provider, id] = args as [string, string];
    if (!names().includes(provider))
      return complain(`payrelay redeliver: unknown provider "${provider}" (one of: ${names().join(', ')})`, 2);
    const transactionId = parseTransactionId(id);
    if (transactionId === undefined) return complain(`payrelay redeliver: "${id}" is not a transaction id (digits)`, 2);
    try {
      return await queue(provider, transactionId);
    } catch (error) {
      if (error instanceof ConfigError) return complain(`payrelay: configuration error: ${error.message}`, 1);
      if ((error as { code?: string }).code === UNDEFINED_TABLE) {
        return complain(`payrelay redeliver: the database has no ${provider}_transaction table; run payrelay migrate`, 1);
      }
      return complain(`payrelay redeliver: ${error instanceof Error ? error.message : String(error)}`, 1);
    }
  },
};

const UNDEFINED_TABLE = '42P01';

async function queue(provider: string, id: string): Promise<number> {
  const env = new EnvReader(loadEnv());
  const core = readCoreConfig(env);
  const configured = configureProviders(env).find((candidate) => candidate.name === provider);
  if (core.database.kind === 'pglite' && (await answers(core))) {
    return complain(
      `payrelay redeliver: a payrelay on this embedded database answers at port ${core.port}; ` +
        'the embedded database serves one process: redeliver from the dashboard or the admin API instead',
      1,
    );
  }
  const db = await openDb(core.database);
  try {
    if (!(await redeliverOne(db, provider, id))) return complain(`payrelay redeliver: no ${provider} transaction ${id}`, 1);
  } finally {
    await db.close();
  }
  say(`${provider} ${id}: queued for redelivery; a running payrelay sends it within ${core.delivery.pollMs} ms`, 0);
  if (!configured?.settings.webhookUrl) {
    say(`note: ${provider.toUpperCase()}_WEBHOOK_URL is not set here: only a payrelay that has it sends the payment`, 0);
  }
  return 0;
}

/** Whether a payrelay answers its health check at the configured address (within a second). */
async function answers(core: CoreConfig): Promise<boolean> {
  const host = ['0.0.0.0', '::', ''].includes(core.host) ? '127.0.0.1' : core.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${core.port}/healthz`;
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

function say(text: string, status: number): number {
  process.stdout.write(`${text}\n`);
  return status;
}

function complain(text: string, status: number): number {
  process.stderr.write(`${text}\n`);
  return status;
}
