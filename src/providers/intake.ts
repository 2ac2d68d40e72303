/**
 * The intake every instance shares: the body as raw bytes within a limit, GET and POST only, the
 * allow-list and authentication before a body is read, the signature hook, the request log, and
 * every failure classified as the caller's (final) or ours (retry later), answered in the
 * protocol's own format. A protocol supplies only its endpoints and how it answers and refuses.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BASIC_CHALLENGE, hasBasicAuth } from '../http/basic-auth.js';
import { rawQuery } from '../http/form.js';
import { isAllowed } from '../http/ip-allow-list.js';
import { acceptRawBodies, charsetOf } from '../http/raw-body.js';
import { requestLogRow } from '../http/request-log.js';
import { countNotification } from '../metrics/counters.js';
import { cancelPayment, findPayment, type NewEvent, type PaymentRef, recordEvent } from '../payments/events.js';
import { type RecordOutcome, recordPayment, writeLogRow } from '../payments/record.js';
import type { Answer, Endpoint, IncomingMessage, Instance, IntakeContext, ProviderContext, Refusal } from './types.js';

export const ACCEPTED_METHODS = new Set(['GET', 'POST']);
const ALLOW = 'GET, POST';

/** Refusals answered before the request is let in carry an HTTP status of their own. */
const REFUSAL_STATUS: Record<Refusal, number> = {
  forbidden: 403,
  unauthorized: 401,
  method: 405,
  malformed: 200,
  forged: 200,
  temporary: 200,
};

/** A refusal for a request no route took (HEAD, PUT, PROPFIND...) on an endpoint's path. */
export type MethodRefusal = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Whether the request's log row was written or attempted: a refusal logs only the others. */
    logRowTaken?: boolean;
  }
}

/** True the first time for a request: its log row is then the caller's to write. */
function takeLogRow(request: FastifyRequest): boolean {
  if (request.logRowTaken) return false;
  request.logRowTaken = true;
  return true;
}

/**
 * Registers an instance's endpoints (those in `endpoints`) on its scope; returns each path's
 * refusal of other methods.
 */
export function registerIntake(
  scope: FastifyInstance,
  instance: Instance,
  endpoints: Record<string, Endpoint>,
  context: ProviderContext,
): MethodRefusal {
  const { name, protocol, settings } = instance;
  const secrets = { headers: protocol.signatureHeaders, fields: protocol.secretFields };
  const charsetFor = (request: FastifyRequest) => charsetOf(request.headers['content-type']) ?? protocol.charset(settings);

  const logOnce = async (request: FastifyRequest, trusted: boolean) => {
    if (!takeLogRow(request)) return;
    const row = requestLogRow(request, request.rawBody, charsetFor(request), trusted, secrets);
    await writeLogRow(context.db, name, row).catch((error: unknown) => request.log.error({ err: error }, 'request log failed'));
  };

  const refuse = async (request: FastifyRequest, reply: FastifyReply, refusal: Refusal, trusted = false) => {
    await logOnce(request, trusted);
    const status = REFUSAL_STATUS[refusal];
    if (status === 401) reply.header('www-authenticate', BASIC_CHALLENGE);
    if (status === 405) reply.header('allow', ALLOW);
    // A body left unread is not worth reading: closing is cheaper than draining a stranger's upload.
    if (status !== 200 && request.rawBody === undefined && hasBody(request)) reply.header('connection', 'close');
    const answer = protocol.refuse(refusal, messageOf(request, charsetFor(request)), settings);
    const outcome = refusal === 'temporary' ? 'error' : 'refused';
    countNotification(name, protocol.requestTypes, answer.type ?? lastSegment(request.url), outcome);
    return send(reply.code(status), answer);
  };

  // What a network may do to a payment later: the same for every request, made once.
  const paymentChanges = {
    findPayment: (ref: PaymentRef) => findPayment(context.db, name, ref),
    cancelPayment: (ref: PaymentRef, reason: string) => cancelPayment(context.db, name, ref, reason),
    recordEvent: async (event: NewEvent) => {
      const outcome = await recordEvent(context.db, name, event);
      if (outcome === 'created') context.wakeDelivery();
      return outcome;
    },
  };

  // Declared on the scope so that every request in it has the same shape from the start.
  scope.decorateRequest('logRowTaken', false);
  acceptRawBodies(scope, context.core.http.bodyLimit);

  // Before the body is read: a stranger's upload is never taken in. An instance whose callers
  // prove nothing refuses them all, unless the operator said otherwise (ALLOW_UNAUTHENTICATED).
  // With nothing to check there is no hook to run on every pay.
  const credentials = settings.httpAuth;
  const closed = !provesCaller(instance) && !context.core.allowUnauthenticated;
  if (settings.allowedIps || credentials || closed) {
    scope.addHook('onRequest', (request, reply, done) => {
      const refusal =
        closed || !isAllowed(settings.allowedIps, request.ip)
          ? 'forbidden'
          : credentials && !hasBasicAuth(request, credentials)
            ? 'unauthorized'
            : undefined;
      if (refusal === undefined) return done();
      refuse(request, reply, refusal).then(() => done(), done);
    });
  }

  scope.setErrorHandler(async (error: FastifyError, request, reply) => {
    // A body we could not take (too large, cut off) is the caller's fault and final; anything else is ours.
    const theirs = error.statusCode !== undefined && error.statusCode < 500;
    if (theirs) request.log.warn({ err: error }, `${name} request unreadable`);
    else request.log.error({ err: error }, `${name} request failed`);
    return refuse(request, reply, theirs ? 'malformed' : 'temporary', true);
  });

  for (const [path, endpoint] of Object.entries(endpoints)) {
    scope.route({
      method: [...ACCEPTED_METHODS],
      url: path,
      exposeHeadRoute: false,
      handler: (request, reply) => handle(request, reply, path, endpoint),
    });
  }

  async function handle(request: FastifyRequest, reply: FastifyReply, path: string, endpoint: Endpoint) {
    const message = messageOf(request, charsetFor(request), path);
    if (protocol.verify && !protocol.verify(message, settings)) {
      request.log.warn({ path }, `${name} request refused: missing or wrong signature`);
      return refuse(request, reply, 'forged');
    }
    const row = requestLogRow(request, request.rawBody, message.charset, true, secrets);
    const intake: IntakeContext = {
      ...context,
      log: request.log,
      recordPayment: async (payment): Promise<RecordOutcome> => {
        // The log row goes in the payment's own commit: one commit per pay.
        // A payment refused by the database still logs its row alone (recordPayment does).
        const outcome = await recordPayment(context.db, name, payment, takeLogRow(request) ? row : undefined);
        if (outcome.kind === 'created') context.wakeDelivery();
        return outcome;
      },
      ...paymentChanges,
    };
    const answer = await endpoint(message, intake);
    if (takeLogRow(request)) await writeLogRow(context.db, name, row);
    countNotification(name, protocol.requestTypes, answer.type, answer.outcome ?? 'accepted');
    return send(reply, answer);
  }

  return (request, reply) => refuse(request, reply, 'method');
}

/** Whether an instance's callers prove who they are: credentials, an allow-list, or a signature it checks. */
export function provesCaller({ protocol, settings }: Pick<Instance, 'protocol' | 'settings'>): boolean {
  return Boolean(settings.httpAuth || settings.allowedIps || protocol.verifies?.(settings));
}

function messageOf(request: FastifyRequest, charset: string, path = ''): IncomingMessage {
  return {
    method: request.method,
    path,
    url: request.url,
    query: rawQuery(request.url),
    body: request.rawBody ?? Buffer.alloc(0),
    contentType: request.headers['content-type'] ?? '',
    charset,
    headers: request.headers,
    ip: request.ip,
  };
}

/** `/_<name>_/pay?x` → `pay`: a refusal's type when the provider could not tell one. */
function lastSegment(url: string): string {
  const path = url.split('?', 1)[0]!;
  return path.slice(path.lastIndexOf('/') + 1).toLowerCase();
}

/** Whether the request announces a body (a length or a chunked one), read or not. */
export function hasBody(request: FastifyRequest): boolean {
  return Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
}

function send(reply: FastifyReply, answer: Answer): FastifyReply {
  if (answer.status !== undefined) reply.code(answer.status);
  return reply.type(answer.contentType).send(answer.body);
}
