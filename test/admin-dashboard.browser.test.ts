/**
 * The dashboard in headless Chromium against the real process (`node dist/main.js`): sign in,
 * find a payment, redeliver it, see the new attempt. Screenshots of the overview and of the
 * payment page are saved for a person to judge (the path is printed; DASHBOARD_SCREENSHOTS
 * chooses the folder, as for docs/img).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { MAX_FAILURES } from '../src/http/token-throttle.js';
import { collectConsoleErrors, launchChromium, offlineContext } from './helpers/browser.js';
import { freshDatabase, type TestDatabase } from './helpers/engine.js';
import { startGatewayProcess, type GatewayProcess } from './helpers/process.js';
import { startReceiver, waitFor, type Receiver } from './helpers/receiver.js';

const TOKEN = 'browser-test-admin-token-5551234';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let browser: Browser;
let database: TestDatabase;
let backend: Receiver;
let gateway: GatewayProcess;
let context: BrowserContext;
let page: Page;
let consoleErrors: string[];
const screenshots = process.env.DASHBOARD_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'payrelay-dashboard-'));

const pays: [txnId: string, account: string, sum: string][] = [
  ['73310001', '4957835959', '1500.00'],
  ['73310002', '<b>Robert"); DROP TABLE</b>', '250.50'],
  ['73310003', 'flat-12-kuznetsova', '980.00'],
  ['73310004', 'broken-backend-account', '42.00'],
  ['73310005', '7700123456', '3200.75'],
];

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  browser = await launchChromium();
  database = await freshDatabase();
  // The backend chokes on one account: that payment waits with its error.
  backend = await startReceiver((request) =>
    request.body.includes('broken-backend') ? { status: 503, body: 'maintenance' } : { status: 200, body: '{"ok":true}' },
  );
  gateway = await startGatewayProcess({
    ...database.env,
    ADMIN_TOKEN: TOKEN,
    QIWI_WEBHOOK_URL: `${backend.url}/payrelay/qiwi`,
    WEBHOOK_RETRY_MIN_MS: '600000',
  });
  for (const [txnId, account, sum] of pays) {
    const answer = await fetch(
      `${gateway.url}/payment?command=pay&txn_id=${txnId}&account=${encodeURIComponent(account)}&sum=${sum}`,
    );
    expect(await answer.text()).toContain('<result>0</result>');
  }
  const cloudPay = `TransactionId=2901358781&Amount=1990.00&Currency=RUB&AccountId=user-881&Email=a%40example.ru&TestMode=1&Status=Completed`;
  expect(await (await fetch(`${gateway.url}/pay`, { method: 'POST', headers: FORM, body: cloudPay })).json()).toEqual({
    code: 0,
  });
  await waitFor(() => backend.received.length >= pays.length, 'every qiwi payment to be tried');
  context = await offlineContext(browser);
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  consoleErrors = collectConsoleErrors(page);
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await gateway?.kill();
  await backend?.close();
  await database?.drop();
  console.log(`dashboard screenshots in ${screenshots}`);
});

it('signs in, finds a payment, redelivers it and sees the new attempt', async () => {
  await page.goto(`${gateway.url}/admin`);
  await page.getByLabel('Admin token').fill('not-the-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByRole('alert').textContent()).toBe('That is not the admin token.');
  // The refused sign-in is a 401, which Chromium reports on the console; nothing else may be.
  expect(consoleErrors).toEqual([expect.stringContaining('401')]);
  consoleErrors.length = 0;

  await page.getByLabel('Admin token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const qiwiCard = page.locator('article[data-provider="qiwi"]');
  await expect.poll(() => qiwiCard.locator('[data-stat="received"]').textContent()).toBe('5');
  expect(await qiwiCard.locator('[data-stat="delivered"]').textContent()).toBe('4');
  expect(await qiwiCard.locator('[data-stat="pending"]').textContent()).toBe('1');
  expect(await page.locator('article[data-provider="cloudpayments"] [data-stat="pending"]').textContent()).toBe('1');
  // The payer's markup is text on the page, never markup.
  expect(await page.locator('b').count()).toBe(0);
  await expect.poll(() => page.getByText('<b>Robert"); DROP TABLE</b>').first().isVisible()).toBe(true);
  await expect.poll(() => page.locator('td.error').first().textContent()).toBe('HTTP 503');
  await page.screenshot({ path: join(screenshots, 'dashboard.png'), fullPage: true });

  const search = page.locator('input[type="search"]');
  await search.fill('73310003');
  await search.press('Enter');
  await page.waitForURL(/\/admin\?q=73310003$/);
  const found = page.locator('h2:has-text("Payments for") + table tbody tr');
  expect(await found.count()).toBe(1);
  await found.locator('a').click();
  await page.waitForURL(/\/admin\/payments\/qiwi\/\d+$/);
  const attempts = page.locator('ol.timeline li.attempt');
  expect(await attempts.count()).toBe(1);
  expect(await page.locator('ol.timeline li.request code').first().textContent()).toContain('txn_id=73310003');

  await page.getByRole('button', { name: 'Redeliver' }).click();
  await page.waitForURL(/\?queued=1$/);
  expect(await page.getByRole('status').textContent()).toContain('Redelivery queued');
  await expect
    .poll(async () => {
      await page.reload();
      return attempts.count();
    })
    .toBe(2);
  expect(await attempts.nth(1).textContent()).toContain('Delivery attempt 2');
  expect(backend.received.filter((request) => request.body.includes('73310003'))).toHaveLength(2);
  await page.screenshot({ path: join(screenshots, 'payment.png'), fullPage: true });
  expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
});

it('tells a browser that has guessed too often to wait, and keeps it out even with the token', async () => {
  const guesser = await offlineContext(browser);
  onTestFinished(() => guesser.close());
  const tab = await guesser.newPage();
  tab.setDefaultTimeout(10_000);
  await tab.goto(`${gateway.url}/admin`);
  const signIn = async (token: string) => {
    await tab.getByLabel('Admin token').fill(token);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.waitForLoadState();
    return tab.getByRole('alert').textContent();
  };
  // This address may already have a wrong token on record (the test above): count from there.
  let answers = 0;
  let said = await signIn('a-wrong-guess');
  while (said === 'That is not the admin token.' && answers++ < MAX_FAILURES) said = await signIn('a-wrong-guess');
  expect(said).toBe('Too many wrong tokens from this address. Try again in 15 min.');
  expect(answers).toBeLessThanOrEqual(MAX_FAILURES);
  expect(await signIn(TOKEN)).toBe('Too many wrong tokens from this address. Try again in 15 min.');
  expect(await guesser.cookies()).toEqual([]);
  await tab.screenshot({ path: join(screenshots, 'sign-in-refused.png') });
});
