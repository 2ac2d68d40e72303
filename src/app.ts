import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { admin } from './admin/index.js';
import type { CoreConfig } from './config/index.js';
import type { Db } from './db/index.js';
import type { ConfiguredProvider } from './providers/types.js';

export interface AppOptions {
  core: CoreConfig;
  db: Db;
  providers: ConfiguredProvider[];
  logger: Logger;
  wakeDelivery(): void;
}

/**
 * The HTTP side: one encapsulated scope per provider (its own body parsing, error format,
 * authentication and request log), registered at the root and again under `/_<name>_`, plus
 * the health check.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { core, db, providers, logger, wakeDelivery } = options;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    trustProxy: core.trustProxy,
  });

  // Once closing, a kept-alive connection would hold the shutdown open after its last answer.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  app.get('/healthz', async (_request, reply) => {
    try {
      await db.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', reason: 'database does not answer' });
    }
  });

  for (const { provider, settings } of providers) {
    const context = { db, core, settings, wakeDelivery };
    for (const prefix of ['', `/_${provider.name}_`]) {
      await app.register(async (scope) => provider.routes(scope, context), { prefix });
    }
  }

  await app.register(admin, { core, db, providers, wakeDelivery });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'not found', path: request.url.split('?')[0] });
  });
  app.setErrorHandler((error, request, reply) => {
    request.log.error({ err: error }, 'request failed');
    reply.code(500).send({ error: 'internal error' });
  });
  return app;
}
