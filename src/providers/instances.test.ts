import { describe, expect, it } from 'vitest';
import { EnvReader } from '../config/index.js';
import { configureProviders } from './index.js';

const instances = (env: Record<string, string>) => configureProviders(new EnvReader(env));

describe('PROVIDERS', () => {
  it('defaults to the instances the replaced containers served, at their root paths', () => {
    expect(instances({}).map(({ name, protocol, root }) => [name, protocol.name, root])).toEqual([
      ['qiwi', 'qiwi', true],
      ['cloudpayments', 'cloudpayments', true],
    ]);
  });

  it('runs a protocol again under another name, with its own variables', () => {
    const [qiwi, pay24] = instances({
      PROVIDERS: ' qiwi , pay24:qiwi',
      PAY24_ENCODING: 'Windows1251',
      PAY24_CHECK_TIMEOUT_MS: '500',
    });
    expect(pay24).toMatchObject({ name: 'pay24', root: false, settings: { encoding: 'windows-1251', checkTimeoutMs: 500 } });
    expect(pay24!.protocol).toBe(qiwi!.protocol);
    expect(qiwi!.settings).toMatchObject({ encoding: 'utf-8', checkTimeoutMs: 10_000 });
  });

  it('gives an instance its own credentials, else the shared ones', () => {
    const env = {
      PROVIDERS: 'qiwi,pay24:qiwi',
      HTTP_AUTH_USERNAME: 'a',
      HTTP_AUTH_PASSWORD: 'shared',
      PAY24_HTTP_AUTH_USERNAME: 'b',
      PAY24_HTTP_AUTH_PASSWORD: 'own',
    };
    const [qiwi, pay24] = instances(env);
    expect(qiwi!.settings.httpAuth).toEqual({ username: 'a', password: 'shared' });
    expect(pay24!.settings.httpAuth).toEqual({ username: 'b', password: 'own' });
    expect(() => instances({ PROVIDERS: 'pay24:qiwi', PAY24_HTTP_AUTH_USERNAME: 'b' })).toThrow(
      /^PAY24_HTTP_AUTH_PASSWORD must be set when PAY24_HTTP_AUTH_USERNAME is/,
    );
  });

  it.each([
    ['qiwi,qiwi', /names the instance "qiwi" twice/],
    ['pay24:nonesuch', /names the protocol "nonesuch", which payrelay does not have \(cloudpayments, qiwi\b/],
    ['Pay24:qiwi', /has "Pay24:qiwi": each entry is name or name:protocol/],
    ['pay_24:qiwi', /has "pay_24:qiwi"/],
    ['a:b:qiwi', /has "a:b:qiwi"/],
    ['qiwi,,cloudpayments', /has "": each entry/],
  ])('refuses PROVIDERS=%s, naming the variable', (value, message) => {
    expect(() => instances({ PROVIDERS: value })).toThrow(message);
    expect(() => instances({ PROVIDERS: value })).toThrow(/^PROVIDERS /);
  });

  it('refuses a protocol variable of an instance with the instance’s own name', () => {
    expect(() => instances({ PROVIDERS: 'pay24:qiwi', PAY24_ENCODING: 'koi8' })).toThrow(
      /^PAY24_ENCODING must be UTF8 or Windows1251/,
    );
  });
});
