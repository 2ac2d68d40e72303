import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/index.js';
import type { MigratedInstance } from '../db/migrate.js';
import type { StreamOutbox } from '../delivery/streams.js';
import { refuseWithoutBearer, TokenThrottle } from '../http/token-throttle.js';
import { processRegistry, requestDuration } from './counters.js';
import { databaseGauges } from './database.js';
import { readinessCheck } from './readiness.js';

export interface MetricsOptions {
  db: Db;
  providers: MigratedInstance[];
  streams: StreamOutbox[];
  /** METRICS_TOKEN: a scrape must carry it as a Bearer token; none, and /metrics is open. */
  token?: string;
}

/**
 * `GET /metrics` (Prometheus text format), `GET /readyz`, and the request-duration histogram.
 * Called on the root instance before the provider scopes, so the timing hook covers them all.
 */
export function metricsRoutes(app: FastifyInstance, { db, providers, streams, token }: MetricsOptions): void {
  const gauges = databaseGauges(db, streams);
  const readiness = readinessCheck(db, providers);

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requestDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  const throttle = new TokenThrottle();
  app.get('/metrics', async (request, reply) => {
    // Refused before the backlog is read: a stranger's scrapes cost the database nothing.
    const refused = token && refuseWithoutBearer(request, reply, { token, throttle, what: 'metrics' });
    if (refused) return refused;
    await gauges.refresh();
    const text = (await processRegistry.metrics()) + (await gauges.registry.metrics());
    return reply.type(processRegistry.contentType).send(text);
  });

  app.get('/readyz', async (_request, reply) => {
    const state = await readiness();
    if (state.ready) return { status: 'ready' };
    const { reason, missing } = state;
    return reply.code(503).send({ status: 'unavailable', reason, ...(missing ? { missing } : {}) });
  });
}
