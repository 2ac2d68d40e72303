/**
 * Start-up refuses the secrets of our own examples and the published test key: a deployment
 * copied from an example stops, naming the variable, instead of running with a secret anyone knows.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readAlertConfig } from '../alerts/config.js';
import { configureProviders, protocols } from '../providers/index.js';
import { variables } from './variables.js';
import { EnvReader, type Env } from './index.js';
import { startupRefusal } from '../../test/helpers/startup.js';

/** The Standard Webhooks test vector: in the specification and every library's tests. */
const PUBLISHED_KEY = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** What deploy/kubernetes/secret.yaml and docker-compose.yml shipped before (issue 29, finding 2). */
const SHIPPED = ['change-me', 'change-me-too', 'change-me-as-well', 'change-me-metrics-token'];
/** What deploy/kubernetes/secret.yaml ships now: a marker, never a secret. */
const MARKER = 'REPLACE-ME';
const EXAMPLES = [PUBLISHED_KEY, ...SHIPPED, MARKER, 'changeme'];

const webhookKey = () => `whsec_${randomBytes(32).toString('base64')}`;

/** Every protocol's default instance, so that each protocol's own secrets are read. */
const EVERY_PROTOCOL: Env = { PROVIDERS: protocols.map(({ name }) => name).join(',') };

/** What else makes a secret read: its user name, the channel it signs for. */
function contextOf(name: string): Env {
  if (name.endsWith('HTTP_AUTH_PASSWORD')) return { ...EVERY_PROTOCOL, [name.replace(/PASSWORD$/, 'USERNAME')]: 'provider' };
  if (name === 'ALERT_WEBHOOK_SECRET') return { ALERT_WEBHOOK_URL: 'http://127.0.0.1:1/alerts' };
  return EVERY_PROTOCOL;
}

/** Each secret payrelay checks callers against or signs with, from the catalogue, under each instance's name. */
const OWN_SECRETS: [string, Env][] = variables()
  .filter(({ name, ownSecret }) => ownSecret !== undefined || name.endsWith('WEBHOOK_SECRET'))
  .flatMap(({ name }) =>
    name.startsWith('<NAME>_') ? protocols.map((protocol) => name.replace('<NAME>', protocol.name.toUpperCase())) : [name],
  )
  .map((name) => [name, contextOf(name)]);

describe('secrets from examples', () => {
  for (const [name, context] of OWN_SECRETS) {
    it(`${name}: every example value stops start-up, naming the variable`, () => {
      for (const value of EXAMPLES) {
        const error = startupRefusal({ ...context, [name]: value });
        expect(error?.variable, `${name}=${value}`).toBe(name);
        expect(error?.message, `${name}=${value}`).toMatch(new RegExp(`^${name} is .*(example|published)`));
        // The message never repeats the value: it is no secret, but a log should not learn to carry one.
        expect(error?.message).not.toContain(value);
      }
    });
  }

  it('a placeholder is refused where an instance reads it, the shared variable and an instance’s own', () => {
    const instances = (env: Env) =>
      configureProviders(new EnvReader({ PROVIDERS: `${protocols[0]!.name},pay24:${protocols[0]!.name}`, ...env }));
    expect(() => instances({ WEBHOOK_SECRET: PUBLISHED_KEY })).toThrow(
      /^WEBHOOK_SECRET is the published Standard Webhooks test key/,
    );
    expect(() => instances({ WEBHOOK_SECRET: webhookKey(), PAY24_WEBHOOK_SECRET: PUBLISHED_KEY })).toThrow(
      /^PAY24_WEBHOOK_SECRET is the published Standard Webhooks test key/,
    );
    expect(() => instances({ PAY24_HTTP_AUTH_USERNAME: 'p', PAY24_HTTP_AUTH_PASSWORD: 'changeme' })).toThrow(
      /^PAY24_HTTP_AUTH_PASSWORD is an example’s placeholder/,
    );
  });

  it('the shared WEBHOOK_SECRET is refused for the alerts too', () => {
    const env = new EnvReader({ ALERT_WEBHOOK_URL: 'http://127.0.0.1:1/alerts', WEBHOOK_SECRET: PUBLISHED_KEY });
    expect(() => readAlertConfig(env)).toThrow(/^WEBHOOK_SECRET is the published/);
  });

  it('the marker is refused as a marker, before the value’s own form is checked', () => {
    // Not "must be at least 16 characters" or "must be whsec_...": the operator learns what to do.
    expect(startupRefusal({ ADMIN_TOKEN: MARKER })?.message).toMatch(/^ADMIN_TOKEN is .*example.*openssl rand -hex 32/);
    expect(startupRefusal({ WEBHOOK_SECRET: MARKER })?.message).toMatch(/^WEBHOOK_SECRET is .*example.*openssl rand -base64 32/);
  });

  it('compares the whole value, whatever its case and surrounding spaces', () => {
    expect(startupRefusal({ METRICS_TOKEN: '  Change-Me-Metrics-Token ' })?.variable).toBe('METRICS_TOKEN');
    expect(startupRefusal({ HTTP_AUTH_USERNAME: 'u', HTTP_AUTH_PASSWORD: 'replace-me' })?.variable).toBe('HTTP_AUTH_PASSWORD');
    // A value that merely contains one is someone's own choice.
    expect(startupRefusal({ METRICS_TOKEN: 'change-me-metrics-token-2f9c1e7a' })).toBeUndefined();
    expect(startupRefusal({ HTTP_AUTH_USERNAME: 'u', HTTP_AUTH_PASSWORD: 'do-not-change-me' })).toBeUndefined();
  });

  it('generated secrets start', () => {
    const env: Env = {};
    for (const [name, context] of OWN_SECRETS) {
      Object.assign(env, context, { [name]: name.endsWith('WEBHOOK_SECRET') ? webhookKey() : randomBytes(32).toString('hex') });
    }
    expect(startupRefusal(env)).toBeUndefined();
  });

  it('leaves alone what others check: the database password, the user names, the bot token', () => {
    // PostgreSQL decides who signs in with which password, and an existing database keeps the
    // password it was created with: refusing it here would only lock that deployment out.
    const env: Env = {
      PG_HOST: 'postgres',
      PG_USER: 'payrelay',
      PG_PASSWORD: 'change-me',
      HTTP_AUTH_USERNAME: 'change-me',
      HTTP_AUTH_PASSWORD: randomBytes(16).toString('hex'),
      ALERT_TELEGRAM_BOT_TOKEN: 'change-me',
      ALERT_TELEGRAM_CHAT_ID: '1',
    };
    expect(startupRefusal(env)).toBeUndefined();
  });
});
