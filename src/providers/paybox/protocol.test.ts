/**
 * The protocol as a deployment sees it: its variables, what an instance reads, that FreedomPay's
 * calls need no Basic credentials (they carry none), and what the start-up summary warns about.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, EnvReader } from '../../config/index.js';
import { DEFAULT_PROVIDERS, protocols } from '../index.js';
import { configureInstances } from '../instances.js';
import { paybox } from './index.js';
import type { PayboxSettings } from './settings.js';

const settingsOf = (env: Record<string, string>, name = 'paybox') =>
  configureInstances(
    new EnvReader({ PROVIDERS: name === 'paybox' ? 'paybox' : `${name}:paybox`, ...env }),
    protocols,
    DEFAULT_PROVIDERS,
  )[0]!.settings as PayboxSettings;

describe('an instance’s settings', () => {
  it('read under its own name, with FreedomPay’s API and no test mode by default', () => {
    expect(settingsOf({})).toMatchObject({ apiUrl: new URL('https://api.freedompay.kz'), testingMode: false, redirectHosts: [] });
    const kg = settingsOf(
      {
        KG_MERCHANT_ID: '7',
        KG_SECRET_KEY: ' key with spaces ',
        KG_API_URL: 'https://api.freedompay.kg',
        KG_TESTING_MODE: 'true',
        KG_PUBLIC_URL: 'https://pay.example.kg/gw',
        KG_REDIRECT_HOSTS: 'shop.example.kg, Магазин.рф, shop.example.kg:8443',
      },
      'kg',
    );
    expect(kg).toMatchObject({
      merchantId: '7',
      secretKey: ' key with spaces ',
      apiUrl: new URL('https://api.freedompay.kg'),
      testingMode: true,
      publicUrl: new URL('https://pay.example.kg/gw'),
      redirectHosts: ['shop.example.kg', 'xn--80aairftm.xn--p1ai', 'shop.example.kg:8443'],
    });
  });

  it('refuses a placeholder for the secret key, naming the variable', () => {
    expect(() => settingsOf({ PAYBOX_SECRET_KEY: 'changeme' })).toThrow(ConfigError);
    expect(() => settingsOf({ PAYBOX_SECRET_KEY: 'changeme' })).toThrow(/^PAYBOX_SECRET_KEY is an example’s placeholder/);
  });

  it('refuses a redirect host that is not one, and an API URL that is no URL', () => {
    expect(() => settingsOf({ PAYBOX_REDIRECT_HOSTS: 'shop.example/path' })).toThrow(
      /PAYBOX_REDIRECT_HOSTS has "shop.example\/path"/,
    );
    expect(() => settingsOf({ PAYBOX_API_URL: 'ftp://x' })).toThrow(/PAYBOX_API_URL/);
  });

  it('takes no Basic credentials, even when HTTP_AUTH_* is set for other networks: FreedomPay sends none', () => {
    expect(paybox.basicAuth).toBe(false);
    expect(settingsOf({ HTTP_AUTH_USERNAME: 'u', HTTP_AUTH_PASSWORD: 'p' }).httpAuth).toBeUndefined();
  });

  it('proves its callers by signature only once it has a secret key', () => {
    expect(paybox.verifies!(settingsOf({}))).toBe(false);
    expect(paybox.verifies!(settingsOf({ PAYBOX_SECRET_KEY: 'k' }))).toBe(true);
  });
});

describe('the protocol', () => {
  it('answers at check, result, refund and capture, and serves the payment link at /pay', () => {
    expect(Object.keys(paybox.endpoints)).toEqual(['/check', '/result', '/refund', '/capture']);
    expect(paybox.pagePaths).toEqual(['/pay']);
    expect(paybox.rootPaths).toBeUndefined();
    expect(protocols).toContain(paybox);
  });

  it('warns when it lacks its key, merchant, public address or redirect hosts', () => {
    const warn = (env: Record<string, string>) => paybox.warnings!(settingsOf(env), (suffix) => `PAYBOX_${suffix}`);
    expect(warn({})).toEqual([
      expect.stringMatching(/^no PAYBOX_SECRET_KEY: FreedomPay's calls cannot be verified .* answers go unsigned/),
      expect.stringMatching(/^no PAYBOX_MERCHANT_ID: /),
      expect.stringMatching(/^no PAYBOX_PUBLIC_URL: \/pay answers 400/),
    ]);
    expect(warn({ PAYBOX_SECRET_KEY: 'k', PAYBOX_MERCHANT_ID: '1', PAYBOX_PUBLIC_URL: 'https://p.example' })).toEqual([
      expect.stringMatching(/^PAYBOX_REDIRECT_HOSTS is not set/),
    ]);
    expect(
      warn({
        PAYBOX_SECRET_KEY: 'k',
        PAYBOX_MERCHANT_ID: '1',
        PAYBOX_PUBLIC_URL: 'https://p.example',
        PAYBOX_REDIRECT_HOSTS: 'a.example',
      }),
    ).toEqual([]);
  });
});
