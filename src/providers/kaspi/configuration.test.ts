/**
 * What an instance of the protocol reads: Kaspi sends no credentials, so Basic credentials are
 * never asked of it (not even the shared ones) and the start-up summary names its allow-list as
 * its protection when it has none.
 */
import { describe, expect, it } from 'vitest';
import { EnvReader, readCoreConfig } from '../../config/index.js';
import { configureProviders } from '../index.js';
import { startupSummary } from '../../summary.js';

const BOTH = { PROVIDERS: 'kaspi,halyk:kaspi' };
const instances = (env: Record<string, string>) => configureProviders(new EnvReader(env));
const warnings = (env: Record<string, string>) =>
  startupSummary(readCoreConfig(new EnvReader(env)), instances(env), 'http://127.0.0.1:8080')
    .split('\n')
    .filter((line) => line.startsWith('WARNING: '));

describe('an instance of the protocol', () => {
  it('has its own path, named after it, and none at the root', () => {
    const summary = startupSummary(readCoreConfig(new EnvReader(BOTH)), instances(BOTH), 'http://127.0.0.1:8080');
    expect(summary).toMatch(/^Kaspi\.kz: \/_kaspi_\/payment$/m);
    expect(summary).toMatch(/^halyk \(Kaspi\.kz\): \/_halyk_\/payment$/m);
  });

  it('is not held to the shared Basic credentials, only to its own when a deployment sets them', () => {
    const env = {
      ...BOTH,
      HTTP_AUTH_USERNAME: 'terminal',
      HTTP_AUTH_PASSWORD: 'a-long-enough-s3cret',
      HALYK_HTTP_AUTH_USERNAME: 'halyk',
      HALYK_HTTP_AUTH_PASSWORD: 'another-long-s3cret',
    };
    expect(instances(env).map(({ settings }) => settings.httpAuth)).toEqual([
      undefined,
      { username: 'halyk', password: 'another-long-s3cret' },
    ]);
  });

  it('reads its allow-list, check and webhook URLs under its own name', () => {
    const [kaspi, halyk] = instances({
      ...BOTH,
      KASPI_ALLOWED_IPS: '194.187.247.152',
      HALYK_ALLOWED_IPS: '10.0.0.0/8',
      KASPI_CHECK_URL: 'https://backend.test/kaspi/check',
      HALYK_WEBHOOK_URL: 'https://backend.test/halyk/payments',
      HALYK_EVENTS_WEBHOOK_URL: 'https://backend.test/halyk/events',
    });
    expect(kaspi!.settings.allowedIps!.check('194.187.247.152')).toBe(true);
    expect(kaspi!.settings.allowedIps!.check('10.1.2.3')).toBe(false);
    expect(halyk!.settings.allowedIps!.check('10.1.2.3')).toBe(true);
    expect(kaspi!.settings.checkUrl?.href).toBe('https://backend.test/kaspi/check');
    expect(halyk!.settings.checkUrl).toBeUndefined();
    expect(halyk!.settings.webhookUrl?.href).toBe('https://backend.test/halyk/payments');
    expect(halyk!.settings.eventsWebhookUrl?.href).toBe('https://backend.test/halyk/events');
  });
});

describe('the start-up summary', () => {
  it('warns of an instance without an allow-list, naming it and never Basic credentials as the cure', () => {
    const lines = warnings({ ...BOTH, HTTP_AUTH_USERNAME: 'terminal', HTTP_AUTH_PASSWORD: 'a-long-enough-s3cret' });
    const about = (name: string) => lines.filter((line) => line.includes(`${name}_ALLOWED_IPS`));
    expect(about('KASPI')).toHaveLength(1);
    expect(about('KASPI')[0]).toMatch(/\bkaspi\b/);
    expect(about('KASPI')[0]).not.toMatch(/HTTP_AUTH/);
    expect(about('HALYK')).toHaveLength(1);
    expect(about('HALYK')[0]).not.toMatch(/HTTP_AUTH/);
  });

  it('says nothing of it once the instance has its allow-list', () => {
    const lines = warnings({ ...BOTH, KASPI_ALLOWED_IPS: '194.187.247.152' });
    expect(lines.filter((line) => line.includes('KASPI_ALLOWED_IPS'))).toEqual([]);
    expect(lines.filter((line) => line.includes('HALYK_ALLOWED_IPS'))).toHaveLength(1);
  });

  it('warns of an account check slower than the network waits', () => {
    expect(warnings({ ...BOTH, HALYK_CHECK_TIMEOUT_MS: '20000' }).filter((line) => line.includes('CHECK_TIMEOUT_MS'))).toEqual([
      'WARNING: HALYK_CHECK_TIMEOUT_MS is 20000: the network gives up on a check after 15 s, keep it well below',
    ]);
  });
});
