import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BASIC_CHALLENGE, hasBasicAuth } from '../../http/basic-auth.js';
import { isAllowed } from '../../http/ip-allow-list.js';
import { acceptRawBodies } from '../../http/raw-body.js';
import { countNotification, routeType } from '../../metrics/counters.js';
import { logBeforeHandling, logIfMissed, logRequest, type RequestLogger } from '../../http/request-log.js';
import type { ProviderContext } from '../types.js';
import { cardPageRoutes } from './card-page.js';
import { parseMessage, readMessage } from './message.js';
import { Code, handlers } from './notifications.js';
import type { CloudPaymentsSettings } from './settings.js';
import { hasValidSignature } from './signature.js';

type Context = ProviderContext<CloudPaymentsSettings>;

export const NOTIFICATION_PATHS = Object.keys(handlers);

/**
 * Every request, card page included, goes to cloudpayments_http_log first. The notification
 * routes live in a scope of their own: the address allow-list, basic auth, the signature and
 * the `{"code":N}` answer apply to them and not to the page a customer opens.
 */
export function cloudPaymentsRoutes(scope: FastifyInstance, context: Context): void {
  const log = (request: FastifyRequest) => logRequest(context.db, 'cloudpayments', request, context.settings.encoding);
  acceptRawBodies(scope);
  void scope.register(async (page) => {
    // A customer's payment page still opens while the request log is unavailable.
    page.addHook('preHandler', async (request) => {
      await log(request).catch((error: unknown) => request.log.error({ err: error }, 'request log failed'));
    });
    cardPageRoutes(page, context.settings);
  });
  void scope.register(async (notifications) => {
    notifications.addHook('preHandler', logBeforeHandling(log));
    notificationRoutes(notifications, context, log);
  });
}

function notificationRoutes(scope: FastifyInstance, context: Context, log: RequestLogger): void {
  // CloudPayments declines a payment on an answer it cannot read: even our failures are {"code":N}.
  scope.setErrorHandler(async (error: FastifyError, request, reply) => {
    const theirs = error.statusCode !== undefined && error.statusCode < 500;
    if (theirs) request.log.warn({ err: error }, 'cloudpayments request unreadable');
    else request.log.error({ err: error }, 'cloudpayments request failed');
    await logIfMissed(request, log);
    return answer(reply.code(200), Code.rejected, theirs ? 'refused' : 'error');
  });

  scope.addHook('preHandler', async (request, reply) => {
    // CLOUDPAYMENTS_ALLOWED_IPS: CloudPayments' addresses have changed without notice, so it is
    // optional and the signature stays the primary control.
    if (!isAllowed(context.settings.allowedIps, request.ip)) return answer(reply.code(403), Code.rejected);
    const credentials = context.core.httpAuth;
    if (credentials && !hasBasicAuth(request, credentials)) {
      // The challenge is what makes an HTTP client send the credentials given in the URL.
      return answer(reply.code(401).header('www-authenticate', BASIC_CHALLENGE), Code.rejected);
    }
  });

  for (const [path, handle] of Object.entries(handlers)) {
    scope.route({
      method: ['GET', 'POST'],
      url: path,
      exposeHeadRoute: false,
      handler: async (request, reply) => {
        const message = readMessage(request, context.settings.encoding);
        const secret = context.settings.apiSecret;
        if (secret && !hasValidSignature(message, request.headers, secret)) {
          request.log.warn({ path }, 'cloudpayments notification refused: missing or wrong signature');
          return answer(reply, Code.rejected);
        }
        const notification = parseMessage(message);
        if (!notification) {
          request.log.warn({ path }, 'cloudpayments notification refused: body is not a JSON object');
          return answer(reply, Code.rejected);
        }
        return answer(reply, await handle(notification, context, request.log));
      },
    });
  }
}

function answer(reply: FastifyReply, code: number, outcome: 'refused' | 'error' = 'refused'): FastifyReply {
  countNotification('cloudpayments', routeType(reply.request.routeOptions.url), code === Code.ok ? 'accepted' : outcome);
  return reply.type('application/json').send(`{"code":${code}}`);
}
