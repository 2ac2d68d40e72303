#!/usr/bin/env node
import { ConfigError, EnvReader, loadEnv, readCoreConfig, type CoreConfig } from './config/index.js';
import { prepareDatabase } from './db/index.js';
import { untilReachable } from './db/unreachable.js';
import { openGateway } from './gateway.js';
import { createLogger } from './log.js';
import { configureProviders, providers } from './providers/index.js';
import { startupSummary } from './summary.js';

const USAGE = 'usage: payrelay [serve | migrate]';

async function main(command = 'serve'): Promise<void> {
  const env = new EnvReader(loadEnv());
  const core = readCoreConfig(env);
  const configured = configureProviders(env);
  const logger = createLogger(core.debug);

  if (command === 'migrate') {
    const applied = await prepareDatabase(core.database, providers);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    return;
  }
  if (command !== 'serve') throw new UsageError(USAGE);

  const gateway = await untilReachable(
    () => openGateway(core, configured, logger),
    (error, inMs) => logger.warn({ reason: (error as Error).message, retryInMs: inMs }, 'database unreachable, waiting for it'),
  );
  const address = await gateway.app.listen({ host: core.host, port: core.port });
  gateway.dispatcher.start();
  process.stderr.write(`${startupSummary(core, configured, address)}\n`);
  stopOnSignals(core, () => gateway.close(), logger);
}

function stopOnSignals(core: CoreConfig, close: () => Promise<void>, logger: ReturnType<typeof createLogger>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // The close waits for work under way; this is the bound on how long.
    setTimeout(() => process.exit(0), core.shutdownTimeoutMs + 2000).unref();
    try {
      logger.info({ signal }, 'shutting down');
      await close();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

class UsageError extends Error {}

main(process.argv[2]).catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`payrelay: configuration error: ${error.message}`);
  else if (error instanceof UsageError) console.error(error.message);
  else console.error(`payrelay: cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
