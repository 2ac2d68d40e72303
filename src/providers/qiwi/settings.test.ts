import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../config/index.js';
import { configureProviders } from '../index.js';

const instances = (env: Record<string, string>) => configureProviders(new EnvReader(env));

describe('a second QIWI-protocol network (pay24:qiwi)', () => {
  it('reads its encoding under its own name', () => {
    const [qiwi, pay24] = instances({ PROVIDERS: 'qiwi,pay24:qiwi', PAY24_ENCODING: 'Windows1251' });
    expect(pay24!.settings).toMatchObject({ encoding: 'windows-1251' });
    expect(qiwi!.settings).toMatchObject({ encoding: 'utf-8' });
  });

  it('refuses a bad one naming its own variable', () => {
    expect(() => instances({ PROVIDERS: 'pay24:qiwi', PAY24_ENCODING: 'koi8' })).toThrow(
      /^PAY24_ENCODING must be UTF8 or Windows1251/,
    );
  });
});
