import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { CoreConfig } from './config/index.js';
import { openDb, prepareDatabase, type Db } from './db/index.js';
import { openReadDb } from './db/replicas.js';
import { maintainEmbedded } from './db/maintenance.js';
import { Dispatcher } from './delivery/dispatcher.js';
import { type DeliveryStream, deliveryStreams, deliveryTargets } from './delivery/streams.js';
import { migrationSources } from './providers/instances.js';
import type { Instance } from './providers/types.js';

export interface Gateway {
  app: FastifyInstance;
  db: Db;
  dispatcher: Dispatcher;
  /** What is delivered: each instance's payments and events (src/delivery/streams.ts). */
  streams: DeliveryStream[];
  /** Stops taking requests, lets requests and deliveries under way finish, closes the database. */
  close(): Promise<void>;
}

/** Everything payrelay is, wired together but not yet listening or delivering. */
export async function openGateway(core: CoreConfig, providers: Instance[], logger: Logger): Promise<Gateway> {
  const providerList = migrationSources(providers);
  let db: Db;
  if (core.database.kind !== 'postgres') {
    db = await openDb(core.database, (error) => logger.warn({ err: error }, 'database connection lost'));
    // A failed migration must not leave the embedded server running under a retry's feet.
    await prepareDatabase(core.database, providerList, db).catch(async (error: unknown) => {
      await db.close().catch(() => undefined);
      throw error;
    });
  } else {
    await prepareDatabase(core.database, providerList);
    db = await openDb(core.database, (error) => logger.warn({ err: error }, 'database connection lost'));
  }
  const streams = deliveryStreams(providers, (name) => db.table(name));
  const dispatcher = new Dispatcher({
    db,
    config: core.delivery,
    timeZone: core.timeZone,
    log: logger,
    targets: deliveryTargets(streams),
  });
  const reads = openReadDb(core.database, db, (error) => logger.warn({ err: error }, 'read replica unreachable'));
  const app = await buildApp({ core, db, reads, providers, streams, logger, wakeDelivery: () => dispatcher.wake() });
  const stopMaintenance = maintainEmbedded(
    db,
    providerList.map(({ name }) => `${name}_transaction`),
    logger,
  );
  return {
    app,
    db,
    dispatcher,
    streams,
    async close() {
      stopMaintenance();
      await Promise.all([app.close(), dispatcher.stop(core.shutdownTimeoutMs)]);
      await reads.close();
      await db.close();
    },
  };
}
