/** The toy protocol's pure parts: the requests its simulator makes, what its answers mean, its variable. */
import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../src/config/index.js';
import { configureInstances } from '../../src/providers/instances.js';
import { toy } from './index.js';
import type { ToySettings } from './settings.js';
import { simulator } from './simulator.js';

const SETTINGS: ToySettings = { checkTimeoutMs: 10_000, greeting: 'hello' };
const BASE = new URL('http://gateway.test/_play_/');

describe('the toy simulator', () => {
  it('POSTs JSON to the action’s path', () => {
    const request = simulator.request(BASE, 'pay', { account: 'A-1', sum: '5.00', txnId: '9', extra: { note: 'hi' } }, SETTINGS);
    expect(request).toEqual({
      method: 'POST',
      url: new URL('http://gateway.test/_play_/pay'),
      headers: { 'content-type': 'application/json' },
      body: '{"id":"9","account":"A-1","sum":"5.00","note":"hi"}',
    });
    expect(simulator.request(BASE, 'cancel', { txnId: '9' }, SETTINGS).body).toBe(
      '{"id":"9","reason":"cancelled by the customer"}',
    );
  });

  it.each([
    ['ok', true, false],
    ['refused', false, false],
    ['retry', false, true],
  ])('reads status %s', (status, accepted, temporary) => {
    const answer = { status: 200, contentType: 'application/json', body: JSON.stringify({ status, id: '9' }) };
    expect(simulator.explain(answer)).toMatchObject({ accepted, temporary });
  });
});

describe('the toy’s variable', () => {
  it('is read under the instance’s prefix, once the protocol is catalogued', () => {
    const env = new EnvReader({ PROVIDERS: 'toy,play:toy', PLAY_GREETING: 'salem' });
    const greetings = configureInstances(env, [toy], 'toy').map(({ settings }) => (settings as ToySettings).greeting);
    expect(greetings).toEqual(['hello', 'salem']);
  });
});
