import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BASIC_CHALLENGE, hasBasicAuth } from '../../http/basic-auth.js';
import { isAllowed } from '../../http/ip-allow-list.js';
import { acceptRawBodies, charsetOf, decodeText } from '../../http/raw-body.js';
import { logBeforeHandling, logIfMissed, logRequest } from '../../http/request-log.js';
import { countNotification } from '../../metrics/counters.js';
import { checkAccount } from '../../payments/account-check.js';
import { recordPayment } from '../../payments/record.js';
import type { ProviderContext, ProviderSettings } from '../types.js';
import { parseRequest, renderAnswer, Result, type QiwiAnswer, type QiwiRequest } from './protocol.js';

type Context = ProviderContext<ProviderSettings>;
type Check = Extract<QiwiRequest, { command: 'check' }>;
type Pay = Extract<QiwiRequest, { command: 'pay' }>;

/**
 * GET or POST /payment: log, authenticate, parse, then check or pay. Whatever happens the
 * network gets HTTP 200 and the XML answer (401 only for missing credentials).
 */
export function qiwiRoutes(scope: FastifyInstance, context: Context): void {
  const log = (request: FastifyRequest) => logRequest(context.db, 'qiwi', request);
  acceptRawBodies(scope);
  scope.setErrorHandler(async (error: FastifyError, request, reply) => {
    // A body we could not read is the caller's fault and final; anything else is ours and passes.
    const final = error.statusCode !== undefined && error.statusCode < 500;
    if (!final) request.log.error({ err: error }, 'qiwi request failed');
    await logIfMissed(request, log);
    const answer = final
      ? { result: Result.other, comment: 'malformed request' }
      : { result: Result.temporary, comment: 'temporary error, try again later' };
    return sendAnswer(reply.code(200), { txnId: readParams(request).get('txn_id') ?? '', ...answer });
  });

  scope.addHook('preHandler', logBeforeHandling(log));
  scope.addHook('preHandler', async (request, reply) => {
    if (!isAllowed(context.settings.allowedIps, request.ip)) {
      reply.code(403);
      return sendAnswer(reply, {
        txnId: readParams(request).get('txn_id') ?? '',
        result: Result.other,
        comment: 'source address not allowed',
      });
    }
    const credentials = context.core.httpAuth;
    if (credentials && !hasBasicAuth(request, credentials)) {
      reply.code(401).header('www-authenticate', BASIC_CHALLENGE);
      const txnId = readParams(request).get('txn_id') ?? '';
      return sendAnswer(reply, { txnId, result: Result.other, comment: 'unauthorized' });
    }
  });

  scope.route({
    method: ['GET', 'POST'],
    url: '/payment',
    handler: async (request, reply) => {
      const parsed = parseRequest(readParams(request));
      if ('refusal' in parsed) return sendAnswer(reply, parsed.refusal);
      const { request: qiwi } = parsed;
      const answer = qiwi.command === 'check' ? await check(qiwi, context, request) : await pay(qiwi, context);
      return sendAnswer(reply, answer);
    },
  });
}

async function check(qiwi: Check, { settings }: Context, request: FastifyRequest): Promise<QiwiAnswer> {
  const base = { txnId: qiwi.txnId, sum: qiwi.sum };
  if (!settings.checkUrl) return { ...base, result: Result.ok, comment: 'OK' };
  const outcome = await checkAccount(
    {
      url: settings.checkUrl,
      timeoutMs: settings.checkTimeoutMs,
      account: qiwi.account,
      details: { sum: qiwi.sum, txn_id: qiwi.txnId },
    },
    request.log,
  );
  if (outcome === 'exists') return { ...base, result: Result.ok, comment: 'OK' };
  if (outcome === 'missing') return { ...base, result: Result.accountNotFound, comment: 'account not found' };
  return { ...base, result: Result.temporary, comment: 'account check unavailable, try again later' };
}

async function pay(qiwi: Pay, { db, wakeDelivery }: Context): Promise<QiwiAnswer> {
  const outcome = await recordPayment(db, 'qiwi', {
    account: qiwi.account,
    code: qiwi.txnId,
    sum: qiwi.sum,
    extra: { txn_date: qiwi.txnDate, ccy: qiwi.ccy },
  });
  if (outcome.kind === 'conflict') {
    return { txnId: qiwi.txnId, sum: qiwi.sum, result: Result.other, comment: 'txn_id already used for another payment' };
  }
  if (outcome.kind === 'created') wakeDelivery();
  return { txnId: qiwi.txnId, prvTxn: outcome.id, sum: qiwi.sum, result: Result.ok, comment: 'OK' };
}

/** Query parameters, then form fields of a POST body on top of them. */
function readParams(request: FastifyRequest): URLSearchParams {
  const query = request.url.split('?')[1] ?? '';
  const params = new URLSearchParams(query);
  if (request.rawBody?.length) {
    const body = decodeText(request.rawBody, charsetOf(request.headers['content-type']));
    for (const [name, value] of new URLSearchParams(body)) params.set(name, value);
  }
  return params;
}

function sendAnswer(reply: FastifyReply, answer: QiwiAnswer): FastifyReply {
  countNotification(
    'qiwi',
    readParams(reply.request).get('command') ?? undefined,
    answer.result === Result.ok ? 'accepted' : answer.result === Result.temporary ? 'error' : 'refused',
  );
  return reply.type('text/xml; charset=utf-8').send(renderAnswer(answer));
}
