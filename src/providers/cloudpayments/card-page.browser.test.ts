/**
 * The card page in headless Chromium. The real widget host is out of reach, so a stand-in
 * cloudpayments.js is served in its place: it records what the page passes to the widget and
 * answers with the outcomes the test chooses, the way the classic widget does (onSuccess or
 * onFail, then onComplete).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collectConsoleErrors, launchChromium, offlineContext } from '../../../test/helpers/browser.js';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { startReceiver, type Receiver } from '../../../test/helpers/receiver.js';

/** The page must load the widget from CloudPayments' host; the test serves it there. */
const WIDGET_SCRIPT_URL = 'https://widget.cloudpayments.ru/bundles/cloudpayments.js';

type Outcome = 'success' | 'fail' | 'success-on-complete-only';

interface WidgetRecord {
  constructed: unknown[][];
  calls: { kind: string; options: Record<string, unknown>; callbacks: string[] }[];
}

/** What the stand-in (and an injected script, were one to run) leaves on window. */
type StandInWindow = Window & { widget: WidgetRecord; injected?: number };

/** The stand-in widget: one outcome per pay() call, in order. */
function standInWidget(outcomes: Outcome[]): string {
  return `
window.widget = { constructed: [], calls: [] };
var outcomes = ${JSON.stringify(outcomes)};
window.cp = {
  CloudPayments: function () {
    window.widget.constructed.push(Array.prototype.slice.call(arguments));
    this.pay = function (kind, options, callbacks) {
      window.widget.calls.push({ kind: kind, options: JSON.parse(JSON.stringify(options)),
        callbacks: Object.keys(callbacks).filter(function (k) { return typeof callbacks[k] === 'function'; }) });
      var outcome = outcomes.shift();
      setTimeout(function () {
        if (outcome === 'success') callbacks.onSuccess(options);
        if (outcome === 'fail') callbacks.onFail('Insufficient funds', options);
        callbacks.onComplete({ success: outcome !== 'fail', message: outcome === 'fail' ? 'Insufficient funds' : null }, options);
      }, 50);
    };
  }
};`;
}

const HTML = { 'content-type': 'text/html' };
/** What the merchant's site (the receiver) answers, unless a test says otherwise. */
const merchantPage = () => ({ status: 200, body: '<p>merchant page</p>', headers: HTML });

let browser: Browser;
let gateway: TestGateway;
let receiver: Receiver;
let origin: string;
beforeAll(async () => {
  browser = await launchChromium();
  receiver = await startReceiver(merchantPage);
  gateway = await startTestGateway({ CLOUDPAYMENTS_PUBLIC_ID: 'pk_test', CLOUDPAYMENTS_REDIRECT_HOSTS: '127.0.0.1' });
  origin = await gateway.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await receiver?.close();
});

let context: BrowserContext;
let page: Page;
let consoleErrors: string[];
beforeEach(async () => {
  context = await offlineContext(browser);
  page = await context.newPage();
  page.setDefaultTimeout(10_000); // a broken page fails in seconds, not at the 30 s test timeout
  consoleErrors = collectConsoleErrors(page);
});
afterEach(async () => {
  await context.close();
  receiver.received.length = 0;
  receiver.respondWith(merchantPage);
});

const payment = { account: '4957835959', sum: '1500.5', description: 'Интернет «Домашний», май', currency: 'RUB' };

async function openCard(params: Record<string, string>, outcomes: Outcome[], path = '/pub/card'): Promise<void> {
  await page.route(WIDGET_SCRIPT_URL, (route) =>
    route.fulfill({ status: 200, contentType: 'text/javascript', body: standInWidget(outcomes) }),
  );
  await page.goto(`${origin}${path}?${new URLSearchParams(params)}`);
}

const widgetCalls = () => page.evaluate(() => (window as unknown as StandInWindow).widget.calls);
const status = () => page.locator('#status');
const button = () => page.locator('#pay');

describe('the card page in a browser', () => {
  it('opens a one-stage charge with the link values and goes to success_url after a success', async () => {
    const successUrl = `${receiver.url}/thanks?order=42`;
    await openCard(
      { ...payment, success_url: successUrl, fail_url: `${receiver.url}/sorry` },
      ['success'],
      '/_cloudpayments_/pub/card',
    );
    await page.waitForURL(successUrl);
    expect(receiver.received.map((request) => request.url)).toEqual(['/thanks?order=42']);
    expect(consoleErrors).toEqual([]);
  });

  it('passes publicId, the amount as a number, currency, description and accountId', async () => {
    await openCard(payment, ['success']);
    await expect.poll(widgetCalls).toHaveLength(1);
    expect(await page.evaluate(() => (window as unknown as StandInWindow).widget.constructed)).toEqual([[]]);
    expect(await widgetCalls()).toEqual([
      {
        kind: 'charge',
        options: {
          publicId: 'pk_test',
          amount: 1500.5,
          currency: 'RUB',
          description: 'Интернет «Домашний», май',
          accountId: '4957835959',
        },
        callbacks: ['onSuccess', 'onFail', 'onComplete'],
      },
    ]);
    await expect.poll(() => status().textContent()).toContain('Оплата прошла успешно');
    expect(await button().isHidden()).toBe(true);
    expect(consoleErrors).toEqual([]);
  });

  it('goes to fail_url after a failure', async () => {
    await openCard({ ...payment, success_url: `${receiver.url}/thanks`, fail_url: `${receiver.url}/sorry?order=42` }, ['fail']);
    await page.waitForURL(`${receiver.url}/sorry?order=42`);
    expect(receiver.received.map((request) => request.url)).toEqual(['/sorry?order=42']);
  });

  it('without fail_url says the payment failed and reopens the widget on "try again"', async () => {
    await openCard(payment, ['fail', 'success']);
    await expect.poll(() => status().textContent()).toContain('Оплата не прошла (Insufficient funds)');
    expect(await button().textContent()).toBe('Попробовать ещё раз');
    await button().click();
    await expect.poll(() => status().textContent()).toContain('Оплата прошла успешно');
    expect(await widgetCalls()).toHaveLength(2);
    expect(await button().isHidden()).toBe(true);
  });

  it('settles on onComplete alone, as some widget versions report', async () => {
    await openCard({ ...payment, success_url: `${receiver.url}/thanks` }, ['success-on-complete-only']);
    await page.waitForURL(`${receiver.url}/thanks`);
  });

  it('says so when the widget script cannot be loaded', async () => {
    await page.route(WIDGET_SCRIPT_URL, (route) => route.abort('internetdisconnected'));
    await page.goto(`${origin}/pub/card?${new URLSearchParams(payment)}`);
    await expect.poll(() => status().textContent()).toContain('Платёжная форма не загрузилась');
    expect(await button().textContent()).toBe('Обновить страницу');
  });

  it('stays blank inside another site’s frame, so it cannot be overlaid to trick a customer', async () => {
    let widgetLoads = 0;
    await page.route(WIDGET_SCRIPT_URL, (route) => {
      widgetLoads++;
      return route.fulfill({ status: 200, contentType: 'text/javascript', body: standInWidget(['success']) });
    });
    // Another origin framing the page. A real server, not a route: Chromium blocks a routed
    // (public) page from framing loopback before the page's own headers could be tested.
    const card = `${origin}/pub/card?${new URLSearchParams(payment)}`.replaceAll('&', '&amp;');
    receiver.respondWith(() => ({ status: 200, body: `<iframe src="${card}"></iframe>`, headers: HTML }));
    await page.goto(`${receiver.url}/framer`);
    const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
    expect(frame).toBeDefined();
    expect(await frame!.evaluate(() => document.body?.textContent ?? '')).not.toContain('1500.50 RUB');
    expect(widgetLoads).toBe(0);
    // Chromium's own word for why the frame is empty.
    await expect.poll(() => consoleErrors.join('\n')).toContain("frame-ancestors 'none'");
  });

  it('never runs markup or script smuggled in a parameter', async () => {
    const hostile = '</script><script>window.injected=1</script><img src=x onerror="window.injected=2">"\'\u2028<!--';
    await openCard({ ...payment, account: hostile, description: hostile }, ['fail']);
    await expect.poll(() => status().textContent()).toContain('Оплата не прошла');
    expect(await page.evaluate(() => (window as unknown as StandInWindow).injected)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('.description').textContent()).toBe(hostile);
    expect(await widgetCalls()).toMatchObject([{ options: { accountId: hostile, description: hostile } }]);
  });
});
