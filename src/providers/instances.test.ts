import { describe, expect, it } from 'vitest';
import { toy } from '../../test/toy-protocol/index.js';
import { EnvReader } from '../config/index.js';
import { configureProviders, DEFAULT_PROVIDERS, protocols } from './index.js';
import { configureInstances } from './instances.js';

/** Instances of the toy protocol of the test tree (test/toy-protocol), the only one it knows. */
const instances = (env: Record<string, string>) => configureInstances(new EnvReader(env), [toy], 'toy');

describe('PROVIDERS', () => {
  it('defaults to the instances the replaced containers served, each named like its protocol, at its root paths', () => {
    const defaults = configureProviders(new EnvReader({}));
    expect(defaults.map(({ name }) => name)).toEqual(DEFAULT_PROVIDERS.split(','));
    for (const { name, protocol, root } of defaults) expect([protocol.name, root]).toEqual([name, true]);
  });

  it('runs a protocol again under another name, with its own variables', () => {
    const [first, play] = instances({
      PROVIDERS: ' toy , play:toy',
      PLAY_GREETING: 'salem',
      PLAY_CHECK_TIMEOUT_MS: '500',
    });
    expect(play).toMatchObject({ name: 'play', root: false, settings: { greeting: 'salem', checkTimeoutMs: 500 } });
    expect(play!.protocol).toBe(first!.protocol);
    expect(first!.settings).toMatchObject({ greeting: 'hello', checkTimeoutMs: 10_000 });
  });

  it('gives an instance its own credentials, else the shared ones', () => {
    const env = {
      PROVIDERS: 'toy,play:toy',
      HTTP_AUTH_USERNAME: 'a',
      HTTP_AUTH_PASSWORD: 'shared',
      PLAY_HTTP_AUTH_USERNAME: 'b',
      PLAY_HTTP_AUTH_PASSWORD: 'own',
    };
    const [first, play] = instances(env);
    expect(first!.settings.httpAuth).toEqual({ username: 'a', password: 'shared' });
    expect(play!.settings.httpAuth).toEqual({ username: 'b', password: 'own' });
    expect(() => instances({ PROVIDERS: 'play:toy', PLAY_HTTP_AUTH_USERNAME: 'b' })).toThrow(
      /^PLAY_HTTP_AUTH_PASSWORD must be set when PLAY_HTTP_AUTH_USERNAME is/,
    );
  });

  it.each([
    ['toy,toy', /names the instance "toy" twice/],
    ['play:nonesuch', /names the protocol "nonesuch", which payrelay does not have \(toy\)/],
    ['Play:toy', /has "Play:toy": each entry is name or name:protocol/],
    ['play_1:toy', /has "play_1:toy"/],
    ['a:b:toy', /has "a:b:toy"/],
    ['toy,,toy', /has "": each entry/],
  ])('refuses PROVIDERS=%s, naming the variable', (value, message) => {
    expect(() => instances({ PROVIDERS: value })).toThrow(message);
    expect(() => instances({ PROVIDERS: value })).toThrow(/^PROVIDERS /);
  });

  it('names every protocol the registry has when PROVIDERS names one it does not', () => {
    const names = protocols.map(({ name }) => name).join(', ');
    expect(() => configureProviders(new EnvReader({ PROVIDERS: 'play:nonesuch' }))).toThrow(
      `which payrelay does not have (${names})`,
    );
  });
});
