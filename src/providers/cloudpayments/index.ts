import type { FastifyRequest } from 'fastify';
import { charsetOf } from '../../http/raw-body.js';
import { requestLogRow } from '../../http/request-log.js';
import { writeLogRow } from '../../payments/record.js';
import { answerJson } from '../kit/answers.js';
import type { Answer, Endpoint, Protocol } from '../types.js';
import { cardPageRoutes } from './card-page.js';
import { parseMessage, readMessage } from './message.js';
import { anyType, Code, type Handler, handlers, refuse, typeContradiction } from './notifications.js';
import { type CloudPaymentsSettings, readCloudPaymentsSettings, VARIABLES } from './settings.js';
import { hasValidSignature, SIGNATURE_HEADERS } from './signature.js';
import { simulator } from './simulator.js';

/** A type the cabinet names in its URL: `/_<name>_/SbpToken`. */
const TYPE_IN_PATH = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

const typed: Record<string, Endpoint<CloudPaymentsSettings>> = Object.fromEntries(
  Object.entries(handlers).map(([path, [type, handler]]) => [path, notification(handler, () => type)]),
);
const otherType = notification(anyType, (path) => path.slice(1));

/** `/_<name>_/Pay?x` → `/Pay`. */
function lastSegment(url: string): string {
  const path = url.split('?', 1)[0]!;
  return path.slice(path.lastIndexOf('/'));
}

/** CloudPayments (cards): every notification type from the cabinet, and the card page. */
export const cloudpayments: Protocol<CloudPaymentsSettings> = {
  name: 'cloudpayments',
  title: 'CloudPayments',
  variables: VARIABLES,
  replacedVariables: {
    PUBLIC_ID: 'the same: the site’s Public ID, used by the card page',
    CHECK_URL: 'the same: asked on CloudPayments `check`, `GET <url>?account=…`',
    WEBHOOK_URL: 'the same: each new payment is POSTed there, the same JSON body, 200 or 201 accepts',
  },
  migrationsDir: new URL('./migrations/', import.meta.url),
  readSettings: readCloudPaymentsSettings,
  rootPaths: Object.keys(handlers),
  // The cabinet's types; one it invents later (`/_cloudpayments_/SbpToken`) is recorded but counted as `other`.
  requestTypes: Object.values(handlers).map(([type]) => type.toLowerCase()),
  endpoints: {
    ...typed,
    // `/Pay` as the cabinet may spell it is a Pay: the type's own handler, whatever the case.
    '/:type': (message, context) => (typed[lastSegment(message.url).toLowerCase()] ?? otherType)(message, context),
  },
  charset: (settings) => settings.encoding,
  signatureHeaders: SIGNATURE_HEADERS,
  // The card's token charges it again (recurring payments): the merchant gets it, nobody reads it.
  secretFields: ['Token'],
  verifies: (settings) => Boolean(settings.apiSecret),
  verify: (message, settings) =>
    !settings.apiSecret || hasValidSignature(readMessage(message), message.headers, settings.apiSecret),
  // CloudPayments declines a payment on an answer it cannot read: every refusal is {"code":N}.
  refuse: () => codeAnswer(Code.rejected),
  pages(scope, { db, name, settings }) {
    // A customer's payment page still opens while the request log is unavailable.
    scope.addHook('preHandler', async (request: FastifyRequest) => {
      // A public page's visitor proves nothing: its URL and headers are kept within bounds.
      const row = requestLogRow(request, undefined, charsetOf(request.headers['content-type']) ?? settings.encoding, false);
      await writeLogRow(db, name, row).catch((error: unknown) => request.log.error({ err: error }, 'request log failed'));
    });
    cardPageRoutes(scope, settings, name.toUpperCase());
  },
  pagePaths: ['/pub/card'],
  warnings(settings, variable) {
    const warnings: string[] = [];
    if (!settings.apiSecret) warnings.push(`no ${variable('API_SECRET')}: notifications are accepted unsigned`);
    if (!settings.publicId) warnings.push(`${variable('PUBLIC_ID')} is not set: the card page answers 400`);
    else if (settings.redirectHosts.length === 0) {
      warnings.push(
        `${variable('REDIRECT_HOSTS')} is not set: the card page refuses every success_url and fail_url until it names the hosts`,
      );
    }
    return warnings;
  },
  simulator,
  // The container this replaces took only these two as "accepted"; a 202 or 204 is retried.
  acceptsWebhookStatus: (status) => status === 200 || status === 201,
};

/** A notification type's endpoint: its fields read from the verified message, answered `{"code":N}`. */
function notification(handle: Handler, typeOf: (path: string) => string): Endpoint<CloudPaymentsSettings> {
  return async (message, context) => {
    const type = typeOf(lastSegment(message.url));
    if (!TYPE_IN_PATH.test(type)) return codeAnswer(Code.rejected, undefined, 404);
    const fields = parseMessage(readMessage(message));
    if (!fields) {
      context.log.warn({ type }, 'notification refused: body is not a JSON object');
      return codeAnswer(Code.rejected, type);
    }
    // Signed for another type (a Pay replayed to /cancel): refused before anything is recorded.
    const contradiction = typeContradiction(fields, type);
    if (contradiction) return codeAnswer(refuse(context.log, Code.rejected, contradiction), type);
    return codeAnswer(await handle(fields, context, type), type);
  };
}

function codeAnswer(code: number, type?: string, status?: number): Answer {
  return answerJson({ code }, { status, type, outcome: code === Code.ok ? 'accepted' : 'refused' });
}
