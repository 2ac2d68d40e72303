import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { admin } from './admin/index.js';
import type { CoreConfig } from './config/index.js';
import type { Db } from './db/index.js';
import type { StreamOutbox } from './delivery/streams.js';
import type { ReadDb } from './db/replicas.js';
import { shareConnections } from './http/address-share.js';
import { RequestLogging } from './http/request-logging.js';
import { metricsRoutes } from './metrics/routes.js';
import { migrationSources } from './providers/instances.js';
import { ACCEPTED_METHODS, hasBody, type MethodRefusal, registerIntake } from './providers/intake.js';
import type { AnyProtocol, Instance, ProviderContext } from './providers/types.js';

export interface AppOptions {
  core: CoreConfig;
  db: Db;
  /** Read replicas for read-only lists (PG_SLAVES); the primary when absent. */
  reads?: ReadDb;
  providers: Instance[];
  /** The streams of deliveries, whose backlogs /metrics reports. */
  streams: StreamOutbox[];
  logger: Logger;
  wakeDelivery(): void;
}

/** A hop count as the function Fastify's types accept: the `count` nearest hops are proxies. */
function proxyTrust(trust: CoreConfig['trustProxy']) {
  if (typeof trust !== 'number') return trust;
  return (_address: string, hop: number) => hop < trust;
}

/** Node checks its request and headers timeouts on this tick: the default 30 s would blur them. */
const TIMEOUT_CHECK_MS = 1000;

/**
 * The HTTP side: one encapsulated scope per instance (the shared intake, its pages), under
 * `/_<name>_` and, for the instances the replaced containers served, at the root too; plus the
 * health check, the metrics and the admin.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { core, db, providers, streams, logger, wakeDelivery } = options;
  const { http } = core;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new RequestLogging(),
    trustProxy: proxyTrust(core.trustProxy),
    bodyLimit: http.bodyLimit,
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    http: {
      headersTimeout: http.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, http.headersTimeoutMs),
    },
  });
  app.server.maxConnections = http.maxConnections;
  // Behind proxies every caller arrives from theirs: a share per address would be theirs alone.
  if (core.trustProxy === false) shareConnections(app.server, http.maxConnectionsPerAddress);

  // Once closing, a kept-alive connection would hold the shutdown open after its last answer.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  // HEAD, PUT, PROPFIND... on an endpoint's path reach no route: the instance refuses them itself.
  // Hooks on every request take a callback, not a promise: each pay would otherwise pay for one.
  const methodRefusals = new Map<string, MethodRefusal>();
  app.addHook('onRequest', (request, reply, done) => {
    if (ACCEPTED_METHODS.has(request.method)) return request.is404 ? notFound(request, reply, done) : done();
    const path = request.url.split('?', 1)[0]!;
    const refuse = methodRefusals.get(path) ?? methodRefusals.get(/^\/_[^/]+_(?=\/|$)/.exec(path)?.[0] ?? '');
    if (!refuse) return request.is404 ? notFound(request, reply, done) : done();
    // As an async hook would: once the refusal is sent, Fastify stops at the next step.
    refuse(request, reply).then(() => done(), done);
  });

  app.get('/healthz', async (_request, reply) => {
    try {
      await db.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', reason: 'database does not answer' });
    }
  });

  metricsRoutes(app, {
    db,
    providers: migrationSources(providers),
    streams,
    token: core.metricsToken,
  });

  for (const instance of providers) {
    const { name, settings } = instance;
    const context = { name, db, core, settings, table: (suffix: string) => db.table(`${name}_${suffix}`), wakeDelivery };
    await registerInstance(app, instance, context, methodRefusals);
  }

  await app.register(admin, { core, db, reads: options.reads ?? db, providers, wakeDelivery });

  app.setNotFoundHandler((request, reply) => notFound(request, reply));
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const theirs = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
    if (theirs) return reply.code(error.statusCode!).send({ error: 'bad request' });
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });
  return app;
}

/**
 * No route: answered before the body is read (from onRequest), as nothing here would read it; a
 * stranger's JSON would otherwise be parsed first, up to HTTP_BODY_LIMIT_BYTES. An upload still
 * coming is not drained: the connection closes after the answer.
 */
function notFound(request: FastifyRequest, reply: FastifyReply, done?: () => void): void {
  if (hasBody(request)) reply.header('connection', 'close');
  reply.code(404).send({ error: 'not found', path: request.url.split('?', 1)[0] });
  done?.();
}

/**
 * An instance under its own prefix with every endpoint and, when it is named like its protocol,
 * at the root with only the paths the protocol kept there (the replaced containers' ones); a
 * root path another instance has stops start-up.
 */
async function registerInstance(
  app: FastifyInstance,
  instance: Instance,
  context: ProviderContext,
  methodRefusals: Map<string, MethodRefusal>,
): Promise<void> {
  const { name, protocol } = instance;
  const own = `/_${name}_`;
  const rootPaths = rootPathsOf(instance);
  for (const path of rootPaths) {
    if (methodRefusals.has(path)) throw new Error(`${name}: ${path} is another instance's endpoint`);
  }
  const scopes: [prefix: string, paths: string[]][] = [
    [own, Object.keys(protocol.endpoints)],
    ['', rootPaths],
  ];
  for (const [prefix, paths] of scopes) {
    if (!paths.length) continue;
    const endpoints = Object.fromEntries(Object.entries(protocol.endpoints).filter(([path]) => paths.includes(path)));
    await app.register(
      async (scope) => {
        const refuseMethod = registerIntake(scope, instance, endpoints, context);
        // Under its own prefix every path is the instance's; at the root, only its own paths.
        for (const path of prefix ? [own] : paths) methodRefusals.set(path, refuseMethod);
      },
      { prefix },
    );
    if (protocol.pages) await app.register(async (scope) => protocol.pages?.(scope, context), { prefix });
  }
}

type Placed = Pick<Instance, 'name' | 'root'> & { protocol: AnyProtocol };

function rootPathsOf({ root, protocol }: Placed): string[] {
  return root ? (protocol.rootPaths ?? []) : [];
}

/** Every path an instance answers at, for the start-up summary. */
export function instancePaths(instance: Placed): string[] {
  const { name, protocol } = instance;
  const pages = protocol.pagePaths ?? [];
  const own = [...Object.keys(protocol.endpoints), ...pages].map((path) => `/_${name}_${path}`);
  const rootPaths = rootPathsOf(instance);
  return [...(rootPaths.length ? [...rootPaths, ...pages] : []), ...own];
}
