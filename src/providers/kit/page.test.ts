/**
 * The payment-page kit on its own: the link's rules, the policy, the shell and the headers. The
 * pages that use it are tested as served and in a browser in their protocols' folders.
 */
import Fastify, { type FastifyReply } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  checkAmount,
  checkCurrency,
  checkRedirect,
  pageNonce,
  pageParams,
  pagePolicy,
  paramReader,
  type RedirectHosts,
  refusalPage,
  renderPage,
  STATIC_PAGE_POLICY,
  sendPage,
  sendRefusal,
  sendUnavailable,
  unavailablePage,
} from './page.js';

describe('the link', () => {
  it('reads everything after the first "?", so an unencoded redirect URL keeps the parameters after it', () => {
    const params = pageParams('/pub/card?account=1&success_url=https://shop.example/paid?order=42&sum=10.5');
    expect([...params]).toEqual([
      ['account', '1'],
      ['success_url', 'https://shop.example/paid?order=42'],
      ['sum', '10.5'],
    ]);
    expect([...pageParams('/pub/card')]).toEqual([]);
  });

  it('trims values, counts a blank one as missing and refuses a repeated one', () => {
    const problems: string[] = [];
    const read = paramReader(new URLSearchParams('a=+x+&b=++&c=1&c=2&d='), problems);
    expect([read('a', true), read('b', true), read('c', false), read('d', false), read('e', false)]).toEqual([
      'x',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(problems).toEqual(['b: не указан', 'c: указан несколько раз, нужен один']);
  });

  it('reads a sum exactly, or says what is wrong with it', () => {
    const problems: string[] = [];
    expect(['10.5', '1500.50', '0.00', '1e3', '1234567890123'].map((raw) => checkAmount('sum', raw, problems))).toEqual([
      '10.50',
      '1500.50',
      undefined,
      undefined,
      undefined,
    ]);
    expect(problems).toEqual([
      'sum: сумма должна быть больше нуля',
      'sum: сумма должна быть числом с точкой и не больше чем двумя знаками после неё, например 100 или 99.50',
      'sum: сумма слишком велика',
    ]);
  });

  it('takes a three-letter currency, upper-cased', () => {
    const problems: string[] = [];
    expect(['rub', 'RU', '643'].map((raw) => checkCurrency('currency', raw, problems))).toEqual(['RUB', undefined, undefined]);
    expect(problems).toEqual([
      'currency: нужен трёхбуквенный код валюты, например RUB',
      'currency: нужен трёхбуквенный код валюты, например RUB',
    ]);
  });
});

describe('checkRedirect', () => {
  const shop: RedirectHosts = { hosts: new Set(['shop.example', 'pay.example:8443']), variable: 'NET_REDIRECT_HOSTS' };
  const check = (raw: string, allowed = shop) => {
    const problems: string[] = [];
    return { url: checkRedirect('success_url', raw, allowed, problems), problems };
  };

  it.each([
    ['https://shop.example/ok?order=1&x=ü', 'https://shop.example/ok?order=1&x=%C3%BC'],
    ['HTTP://Shop.Example:8080/fail', 'http://shop.example:8080/fail'],
    ['https://pay.example:8443/', 'https://pay.example:8443/'],
  ])('allows %s on a listed host, as the normalized URL', (raw, href) => {
    expect(check(raw)).toEqual({ url: href, problems: [] });
  });

  it.each([
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    '/relative/path',
    '//shop.example/',
    'shop.example',
    'https:shop.example',
    'https:\\\\shop.example',
    'ftp://shop.example/',
  ])('refuses %s: not an absolute http(s) URL', (raw) => {
    expect(check(raw)).toEqual({
      url: undefined,
      problems: ['success_url: нужен полный адрес, начинающийся с http:// или https://'],
    });
  });

  it('refuses credentials, and a host not listed, naming the variable', () => {
    expect(check('https://shop.example@evil.example/').problems).toEqual([
      'success_url: адрес не должен содержать имя пользователя или пароль',
    ]);
    for (const raw of ['https://evil.example/', 'https://shop.example.evil.example/', 'https://pay.example/']) {
      expect(check(raw).problems).toEqual(['success_url: переход на этот сайт не разрешён (его нет в NET_REDIRECT_HOSTS)']);
    }
  });

  it('allows no host at all while the list is empty', () => {
    expect(check('https://shop.example/ok', { hosts: new Set(), variable: 'NET_REDIRECT_HOSTS' })).toEqual({
      url: undefined,
      problems: ['success_url: переход на этот сайт не разрешён (на сервере не задан NET_REDIRECT_HOSTS)'],
    });
  });
});

describe('pagePolicy', () => {
  it('allows scripts by nonce and from the widget, frames and connections to the widget, framing by no one', () => {
    const widget = ['https://*.widget.example'];
    expect(pagePolicy({ nonce: 'bm9uY2U=', script: widget, frame: widget, connect: widget })).toBe(
      "default-src 'self'; script-src 'nonce-bm9uY2U=' https://*.widget.example; frame-src https://*.widget.example; " +
        "connect-src 'self' https://*.widget.example; style-src 'self' 'unsafe-inline' https:; img-src 'self' data: https:; " +
        "font-src 'self' data: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
  });

  it('frames nothing and connects only home when the widget needs neither', () => {
    const directives = pagePolicy({
      nonce: 'n',
      script: ['https://a.example', 'https://b.example'],
      frame: [],
      connect: [],
    }).split('; ');
    expect(directives).toContain("script-src 'nonce-n' https://a.example https://b.example");
    expect(directives).toContain("frame-src 'none'");
    expect(directives).toContain("connect-src 'self'");
  });

  it('gives a fresh nonce each time', () => {
    const nonces = new Set(Array.from({ length: 20 }, pageNonce));
    expect(nonces.size).toBe(20);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });
});

describe('renderPage', () => {
  it('puts the body in the card, then the data, the scripts and the nonce’d script, in that order', () => {
    const html = renderPage({
      title: 'Pay <now>',
      body: '<h1>10.50 RUB</h1>',
      data: { id: 'config', value: { account: '</script>' } },
      scriptSources: ['https://widget.example/w.js?a=1&b=2'],
      script: { nonce: 'abc+/=', code: 'start();' },
    });
    expect(html.startsWith('<!doctype html>\n<html lang="ru">\n<head>\n<meta charset="utf-8">\n')).toBe(true);
    expect(html).toContain('<meta name="robots" content="noindex">\n<title>Pay &#60;now&#62;</title>\n<style>');
    expect(
      html.endsWith(
        '<main class="card">\n<h1>10.50 RUB</h1>\n' +
          '<script type="application/json" id="config">{"account":"\\u003c/script\\u003e"}</script>\n' +
          '<script src="https://widget.example/w.js?a=1&#38;b=2"></script>\n' +
          '<script nonce="abc+/=">start();</script>\n</main>\n</body>\n</html>\n',
      ),
    ).toBe(true);
  });

  it('has no script unless one is given', () => {
    const html = renderPage({ title: 't', body: '<p>b</p>' });
    expect(html).not.toContain('<script');
    expect(html).toContain('<main class="card">\n<p>b</p>\n</main>');
  });

  it('lists each problem of a refused link, escaped', () => {
    const html = refusalPage(['sum: не указан', 'account: <b>']);
    expect(html).toContain('<title>Ссылка на оплату неверна</title>');
    expect(html).toContain('<ul class="problems">\n<li>sum: не указан</li>\n<li>account: &#60;b&#62;</li>\n</ul>');
    expect(unavailablePage()).toContain('<h1>Оплата временно недоступна</h1>');
  });
});

describe('the headers', () => {
  async function served(send: (reply: FastifyReply) => unknown) {
    const app = Fastify();
    app.get('/', (_request, reply) => send(reply));
    try {
      return await app.inject({ method: 'GET', url: '/' });
    } finally {
      await app.close();
    }
  }

  it('a page: HTML, never cached, never framed, sniffed or followed by its query', async () => {
    const response = await served((reply) => sendPage(reply, '<p>page</p>', 'default-src x'));
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('<p>page</p>');
    expect(response.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': 'default-src x',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'strict-origin',
    });
  });

  it('a refusal (400) and an outage (500): pages without scripts, under the static policy', async () => {
    const refused = await served((reply) => sendRefusal(reply, ['sum: не указан']));
    const down = await served((reply) => sendUnavailable(reply));
    expect([refused.statusCode, down.statusCode]).toEqual([400, 500]);
    expect([refused.body, down.body]).toEqual([refusalPage(['sum: не указан']), unavailablePage()]);
    for (const response of [refused, down]) {
      expect(response.headers['content-security-policy']).toBe(STATIC_PAGE_POLICY);
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers.location).toBeUndefined();
    }
    expect(STATIC_PAGE_POLICY.split('; ')).toEqual([
      "default-src 'none'",
      "style-src 'unsafe-inline'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]);
  });
});
