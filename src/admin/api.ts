/** The admin API under /admin/api: Bearer-token JSON routes, described by their own schemas. */
import swagger from '@fastify/swagger';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseTransactionId, redeliverMany, redeliverOne } from '../delivery/redeliver.js';
import { refuseWithoutBearer } from '../http/token-throttle.js';
import { BadParameter, decodeCursor } from './cursor.js';
import type { AdminContext } from './index.js';
import { listRequests } from './requests.js';
import { maskRequest, secretFieldsOf } from './secrets.js';
import { adminSchemas } from './schemas.js';
import { hasWebhookUrl, transactionStory } from './story.js';
import { listTransactions } from './transactions.js';

interface ListQuery {
  provider?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}
interface TransactionQuery extends ListQuery {
  status?: 0 | 1;
  account?: string;
  code?: string;
  q?: string;
  failing?: boolean;
}
interface RequestQuery extends ListQuery {
  method?: string;
  ip?: string;
  contains?: string;
}
interface TransactionKey {
  provider: string;
  id: string;
}
interface RedeliveryBody {
  provider?: string;
  undelivered?: boolean;
  since?: string;
  until?: string;
}

/** A time from a parameter; its schema checked the format, but a leap second (…:60) still parses to nothing. */
function date(value?: string): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new BadParameter(`${value} is not a time payrelay can search by`);
  return parsed;
}

export async function adminApi(api: FastifyInstance, context: AdminContext): Promise<void> {
  const names = context.providers.map(({ name }) => name);
  const schemas = adminSchemas(names);
  await api.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'payrelay admin API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  api.addHook('onRequest', async (request, reply) =>
    refuseWithoutBearer(request, reply, { token: context.token, throttle: context.throttle, what: 'admin' }),
  );
  // Payers' accounts and request bodies: no cache along the way may keep them.
  api.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  api.setErrorHandler(adminErrorHandler);
  const chosen = (provider?: string) => (provider ? [provider] : names);

  api.get<{ Querystring: TransactionQuery }>('/transactions', { schema: schemas.listTransactions }, async (request) => {
    const { query } = request;
    return listTransactions(context.reads, {
      providers: chosen(query.provider),
      status: query.status,
      account: query.account,
      code: query.code,
      search: query.q,
      failing: query.failing,
      from: date(query.from),
      to: date(query.to),
      limit: query.limit,
      after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    });
  });

  api.get<{ Params: TransactionKey }>(
    '/transactions/:provider/:id',
    { schema: schemas.showTransaction },
    async (request, reply) => {
      const { provider, id } = request.params;
      const story = await transactionStory(context, provider, id);
      return story ?? reply.code(404).send({ error: 'not found', message: `no ${provider} transaction ${id}` });
    },
  );

  api.post<{ Params: TransactionKey }>(
    '/transactions/:provider/:id/redeliver',
    { schema: schemas.redeliverOne },
    async (request, reply) => {
      const { provider, id } = request.params;
      if (!hasWebhookUrl(context, provider)) {
        return reply.code(409).send({ error: 'no webhook URL', message: `${provider.toUpperCase()}_WEBHOOK_URL is not set` });
      }
      if (!(await redeliverOne(context.db, provider, id, context.wakeDelivery))) {
        return reply.code(404).send({ error: 'not found', message: `no ${provider} transaction ${id}` });
      }
      request.log.info({ provider, id }, 'admin: redelivery queued');
      return reply.code(202).send({ provider, id: parseTransactionId(id), queued: true });
    },
  );

  api.post<{ Body: RedeliveryBody | undefined }>('/redeliver', { schema: schemas.redeliverMany }, async (request, reply) => {
    const body = request.body ?? {};
    if (!body.undelivered && body.since === undefined) {
      return reply.code(400).send({
        error: 'bad request',
        message: 'give "since" or "undelivered": true; redelivering every payment ever is not offered',
      });
    }
    if (body.provider && !hasWebhookUrl(context, body.provider)) {
      return reply.code(409).send({ error: 'no webhook URL', message: `${body.provider.toUpperCase()}_WEBHOOK_URL is not set` });
    }
    // Only where a webhook URL exists: elsewhere "queued" would be a promise nobody keeps.
    const providers = chosen(body.provider).filter((provider) => hasWebhookUrl(context, provider));
    const queued = await redeliverMany(
      context.db,
      { providers, undeliveredOnly: body.undelivered, since: date(body.since), until: date(body.until) },
      context.wakeDelivery,
    );
    const total = Object.values(queued).reduce((sum, count) => sum + count, 0);
    request.log.info({ queued, total }, 'admin: redelivery of many queued');
    return reply.code(202).send({ queued, total });
  });

  api.get<{ Querystring: RequestQuery }>('/requests', { schema: schemas.listRequests }, async (request) => {
    const { query } = request;
    const listed = await listRequests(context.reads, {
      providers: chosen(query.provider),
      method: query.method,
      ip: query.ip,
      contains: query.contains,
      from: date(query.from),
      to: date(query.to),
      limit: query.limit,
      after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    });
    const items = listed.items.map((item) => maskRequest(item, secretFieldsOf(context, item.provider)));
    return { ...listed, items };
  });

  api.get('/openapi.json', { schema: schemas.openapi }, async () => api.swagger());
}

/** Bad input is the caller's 4xx with a JSON reason; anything else a logged, opaque 500. */
function adminErrorHandler(this: FastifyInstance, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof BadParameter) return reply.code(400).send({ error: 'bad request', message: error.message });
  if (error.validation) return reply.code(400).send({ error: 'bad request', message: error.message });
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return reply.code(error.statusCode).send({ error: 'bad request', message: error.message });
  }
  request.log.error({ err: error }, 'admin request failed');
  return reply.code(500).send({ error: 'internal error' });
}
