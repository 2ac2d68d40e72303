import { EnvReader, readCoreConfig, type Env } from '../../src/config/index.js';
import { openGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/log.js';
import { configureInstances } from '../../src/providers/instances.js';
import { DEFAULT_PROVIDERS, protocols as registry } from '../../src/providers/index.js';
import type { AnyProtocol } from '../../src/providers/types.js';
import { closeWithTest } from './cleanup.js';
import { freshDatabase, type TestDatabase } from './engine.js';

export interface TestGateway extends Gateway {
  env: Env;
}

/**
 * The whole gateway in this process, on a fresh database, for tests that speak to it through
 * `app.inject()`. Deliveries run for real when a webhook URL is given. Pass a `database` to
 * share one between gateways (a restart); its owner then drops it. `protocols` replaces the
 * registry's list (a protocol of the test's own; PROVIDERS then defaults to all of them). Closed when the test ends (closeWithTest).
 */
export async function startTestGateway(
  overrides: Env = {},
  shared?: TestDatabase,
  protocols: readonly AnyProtocol[] = registry,
): Promise<TestGateway> {
  const database = shared ?? (await freshDatabase());
  const instances = protocols === registry ? {} : { PROVIDERS: protocols.map(({ name }) => name).join(',') };
  // Tests speak to instances without credentials unless they set some: the unsafe switch is on
  // here, and test/secure-by-default.db.test.ts turns it off.
  const env: Env = { WEBHOOK_POLL_MS: '100', ALLOW_UNAUTHENTICATED: 'true', ...instances, ...database.env, ...overrides };
  const reader = new EnvReader(env);
  const core = readCoreConfig(reader);
  const logger = createLogger(false);
  logger.level = process.env.TEST_LOG_LEVEL ?? 'silent';
  const configured = configureInstances(reader, protocols, DEFAULT_PROVIDERS);
  const gateway = await openGateway(core, configured, logger);
  gateway.dispatcher.start();
  const close = closeWithTest(async () => {
    await gateway.close();
    if (!shared) await database.drop();
  });
  return { ...gateway, env, close };
}
