/**
 * The dashboard: server-rendered pages, no script at all. Signed in by a session cookie
 * (HttpOnly, SameSite=Strict, scoped to /admin); every POST must also come from this origin
 * (Origin / Sec-Fetch-Site) and carry the session's anti-forgery token.
 */
import { openIncidents } from '../../alerts/index.js';
import formbody from '@fastify/formbody';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseTransactionId, redeliverOne } from '../../delivery/redeliver.js';
import { storableText } from '../../util/text.js';
import { hasWebhookUrl, transactionStory } from '../story.js';
import { sameSecret } from '../../http/bearer.js';
import { countWrongToken } from '../../http/token-throttle.js';
import { SESSION_COOKIE, SESSION_SECONDS, Sessions } from '../auth.js';
import type { AdminContext } from '../index.js';
import { providerStats } from '../stats.js';
import { listTransactions } from '../transactions.js';
import { html, type Html } from './html.js';
import { layout, signInPage } from './layout.js';
import { overviewPage } from './overview.js';
import { paymentPage } from './payment.js';
import { STYLE } from './style.js';
import { instanceTitle } from '../../providers/instances.js';

const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export async function dashboard(page: FastifyInstance, context: AdminContext): Promise<void> {
  const sessions = new Sessions(context.token, context.db);
  const names = context.providers.map(({ name }) => name);
  const titles = Object.fromEntries(context.providers.map((instance) => [instance.name, instanceTitle(instance)]));
  // Forms only, of a few KB: the sign-in is open to anyone, and any other body (JSON up to
  // HTTP_BODY_LIMIT_BYTES, say) would be parsed before its token is looked at.
  page.removeAllContentTypeParsers();
  await page.register(formbody, { bodyLimit: 4096 });
  page.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    // same-origin, not no-referrer: under no-referrer Chromium posts forms with `Origin: null`.
    reply.header('referrer-policy', 'same-origin');
    reply.header('cache-control', 'no-store');
  });
  page.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'admin page failed');
    return sendPage(
      reply.code(status),
      layout(
        'Error',
        html`<p class="problem">${status === 500 ? 'Something went wrong; the log says what.' : error.message}</p>`,
      ),
    );
  });

  const session = async (request: FastifyRequest) => {
    const value = parseCookies(request.headers.cookie ?? '')[SESSION_COOKIE];
    return value && (await sessions.isLive(value)) ? value : undefined;
  };

  page.get('/style.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(STYLE));

  page.get<{ Querystring: { q?: string } }>('/', async (request, reply) => {
    const signedIn = await session(request);
    if (!signedIn) return sendPage(reply, signInPage());
    // As stored: a NUL in a payment's text became U+FFFD (and PostgreSQL would refuse the NUL).
    const search = typeof request.query.q === 'string' ? storableText(request.query.q.trim().slice(0, 200)) : '';
    const list = (filter: { search?: string; failing?: boolean }, limit: number) =>
      listTransactions(context.reads, { providers: names, limit, ...filter }).then((result) => result.items);
    const [stats, incidents, found, recent, failures] = await Promise.all([
      providerStats(context.db, names),
      openIncidents(context.db),
      search ? list({ search }, 50) : undefined,
      list({}, 15),
      list({ failing: true }, 15),
    ]);
    return sendPage(
      reply,
      overviewPage({ stats, incidents, search, found, recent, failures, titles, csrf: sessions.csrfToken(signedIn) }),
    );
  });

  page.post<{ Body: { token?: unknown } }>('/login', async (request, reply) => {
    if (!sameOrigin(request)) return sendPage(reply.code(403), signInPage('This form must be sent from this site.'));
    const wait = context.throttle.retryAfter(request.ip);
    if (wait > 0) {
      const problem = `Too many wrong tokens from this address. Try again in ${Math.ceil(wait / 60)} min.`;
      return sendPage(reply.code(429).header('retry-after', String(wait)), signInPage(problem));
    }
    const token = request.body?.token;
    if (typeof token !== 'string' || !sameSecret(token, context.token)) {
      request.log.warn({ ip: request.ip }, 'admin: sign-in with a wrong token');
      if (typeof token === 'string') countWrongToken(context.throttle, request, 'admin');
      return sendPage(reply.code(401), signInPage('That is not the admin token.'));
    }
    reply.header('set-cookie', sessionCookie(request, await sessions.start(), SESSION_SECONDS));
    return reply.code(303).header('location', '/admin').send();
  });

  page.post<{ Body: { csrf?: unknown } }>('/logout', async (request, reply) => {
    const signedIn = await session(request);
    if (!signedIn || !isGenuinePost(request, sessions, signedIn)) return refuseForgery(reply);
    // On the server too: a copy of the cookie (another browser, a stolen one) stops working.
    await sessions.end(signedIn);
    reply.header('set-cookie', sessionCookie(request, '', 0));
    return reply.code(303).header('location', '/admin').send();
  });

  page.get<{ Params: { provider: string; id: string }; Querystring: { queued?: string } }>(
    '/payments/:provider/:id',
    async (request, reply) => {
      const signedIn = await session(request);
      if (!signedIn) return reply.code(303).header('location', '/admin').send();
      const { provider, id } = request.params;
      const story = names.includes(provider) ? await transactionStory(context, provider, id) : undefined;
      if (!story)
        return sendPage(
          reply.code(404),
          layout('Not found', html`<p class="problem">No ${provider} payment ${id}.</p>`, sessions.csrfToken(signedIn)),
        );
      const notice =
        request.query.queued === '1' ? 'Redelivery queued: the new attempt appears below once it is made.' : undefined;
      return sendPage(
        reply,
        paymentPage(story, sessions.csrfToken(signedIn), { notice, canRedeliver: hasWebhookUrl(context, provider) }),
      );
    },
  );

  page.post<{ Params: { provider: string; id: string }; Body: { csrf?: unknown } }>(
    '/payments/:provider/:id/redeliver',
    async (request, reply) => {
      const signedIn = await session(request);
      if (!signedIn || !isGenuinePost(request, sessions, signedIn)) return refuseForgery(reply);
      const { provider, id } = request.params;
      const known = names.includes(provider) && hasWebhookUrl(context, provider) && parseTransactionId(id) !== undefined;
      if (!known || !(await redeliverOne(context.db, provider, id, context.wakeDelivery))) {
        return sendPage(
          reply.code(404),
          layout('Not found', html`<p class="problem">No ${provider} payment ${id} to redeliver.</p>`),
        );
      }
      request.log.info({ provider, id }, 'admin: redelivery queued from the dashboard');
      const location = `/admin/payments/${encodeURIComponent(provider)}/${parseTransactionId(id)}?queued=1`;
      return reply.code(303).header('location', location).send();
    },
  );
}

function sendPage(reply: FastifyReply, page: Html): FastifyReply {
  return reply.type('text/html; charset=utf-8').send(page.text);
}

function refuseForgery(reply: FastifyReply): FastifyReply {
  return sendPage(
    reply.code(403),
    layout('Refused', html`<p class="problem">Refused: sign in again and use the page's own buttons.</p>`),
  );
}

/**
 * A browser names the page a POST comes from (Origin, or at least Sec-Fetch-Site); a request
 * from another site is refused even before its anti-forgery token is looked at.
 */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) return origin === `${request.protocol}://${request.host}`;
  const site = request.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

function isGenuinePost(request: FastifyRequest<{ Body: { csrf?: unknown } }>, sessions: Sessions, session: string): boolean {
  const csrf = request.body?.csrf;
  return sameOrigin(request) && typeof csrf === 'string' && sameSecret(csrf, sessions.csrfToken(session));
}

function sessionCookie(request: FastifyRequest, value: string, maxAge: number): string {
  return serializeCookie(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    path: '/admin',
    maxAge,
  });
}
