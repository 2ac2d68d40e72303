/**
 * TRUST_PROXY as a proxy in front writes X-Forwarded-For: it appends the address it saw, so only
 * the right-most hops are the proxies' word; anything left of them is the client's own, forgeable.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, EnvReader, readCoreConfig } from '../src/config/index.js';
import { MAX_FAILURES } from '../src/http/token-throttle.js';
import { startupSummary } from '../src/summary.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const PROXY = '10.1.2.3';
const ALLOWED = '203.0.113.5';
const CLIENT = '198.51.100.7';
const TOKEN = 'an-admin-token-of-some-length';

/** A pay that reached the gateway through the proxy, with this X-Forwarded-For as the proxy left it. */
const payThroughProxy = (gateway: TestGateway, forwardedFor: string, txnId: number) =>
  gateway.app.inject({
    url: `/payment?command=pay&txn_id=${txnId}&account=1&sum=1.00`,
    headers: { 'x-forwarded-for': forwardedFor },
    remoteAddress: PROXY,
  });

describe.each([
  ['its address', '10.1.2.3'],
  ['its network and a range name', '10.0.0.0/8, loopback'],
  ['the number of proxies', '1'],
])('TRUST_PROXY naming the proxy by %s', (_, trustProxy) => {
  it('takes the client as the proxy saw it: a forged left-most address passes no allow-list', async () => {
    const gateway = await startTestGateway({ TRUST_PROXY: trustProxy, QIWI_ALLOWED_IPS: ALLOWED });
    // The client wrote the allowed address itself; the proxy appended the one it saw.
    expect((await payThroughProxy(gateway, `${ALLOWED}, ${CLIENT}`, 1)).statusCode).toBe(403);
    expect((await payThroughProxy(gateway, ALLOWED, 2)).statusCode).toBe(200);
  });

  it('counts wrong admin tokens against the client the proxy saw, whatever it writes to the left', async () => {
    const gateway = await startTestGateway({ TRUST_PROXY: trustProxy, ADMIN_TOKEN: TOKEN });
    const ask = (forged: string, token: string) =>
      gateway.app.inject({
        url: '/admin/api/transactions',
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': `${forged}, ${CLIENT}` },
        remoteAddress: PROXY,
      });
    for (let n = 0; n < MAX_FAILURES; n++) expect((await ask(`192.0.2.${n}`, `guess-${n}`)).statusCode).toBe(401);
    expect((await ask('192.0.2.200', TOKEN)).statusCode).toBe(429);
  });
});

describe('TRUST_PROXY=true', () => {
  it('keeps its old meaning, the left-most address, and the start-up summary warns of it', async () => {
    const gateway = await startTestGateway({ TRUST_PROXY: 'true', QIWI_ALLOWED_IPS: ALLOWED });
    expect((await payThroughProxy(gateway, `${ALLOWED}, ${CLIENT}`, 3)).statusCode).toBe(200);
    const summary = (env: Record<string, string>) => startupSummary(readCoreConfig(new EnvReader(env)), [], 'http://x');
    expect(summary({ TRUST_PROXY: 'true' })).toMatch(/^WARNING: TRUST_PROXY=true believes the left-most X-Forwarded-For/m);
    expect(summary({ TRUST_PROXY: '1' })).not.toContain('TRUST_PROXY');
  });
});

describe('TRUST_PROXY without a proxy', () => {
  it('is off by default: X-Forwarded-For is the caller’s word and changes nothing', async () => {
    const gateway = await startTestGateway({ QIWI_ALLOWED_IPS: ALLOWED });
    expect((await payThroughProxy(gateway, ALLOWED, 4)).statusCode).toBe(403);
  });

  it.each([['a proxy.example'], ['10.0.0.0/33'], ['101']])('refuses %s at start-up, naming the variable', (value) => {
    expect(() => readCoreConfig(new EnvReader({ TRUST_PROXY: value }))).toThrow(ConfigError);
    expect(() => readCoreConfig(new EnvReader({ TRUST_PROXY: value }))).toThrow(/^TRUST_PROXY /);
  });
});
