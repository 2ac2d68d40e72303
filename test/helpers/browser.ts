/**
 * Pages are tested in Debian's headless Chromium driven by playwright-core; playwright never
 * downloads a browser of its own. A missing Chromium fails the test with the fix, never skips it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: the browser tests need Debian's chromium. ` +
        'Install it with `bash scripts/install-browser.sh` (apt-get install -y chromium).',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * A context that can reach loopback only: whatever a page asks of the internet is refused here
 * unless a test serves it with page.route() (page routes take precedence over context routes).
 */
export async function offlineContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.route(/^(?!https?:\/\/127\.0\.0\.1[:/])/, (route) => route.abort('blockedbyclient'));
  return context;
}

/** Console errors, CSP violations among them, collected for a test to assert there are none. */
export function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}
