import { ConfigError, type InstanceEnv } from '../../config/index.js';

export type Encoding = 'utf-8' | 'windows-1251';

/** `<NAME>_ENCODING`: UTF8 (the default) or Windows1251, spelled as the networks' cabinets spell them. */
export function readEncoding(env: InstanceEnv): Encoding {
  const raw = env.string('ENCODING');
  if (raw === undefined) return 'utf-8';
  const name = raw.toLowerCase().replace(/[\s_-]/g, '');
  if (name === 'utf8') return 'utf-8';
  if (name === 'windows1251' || name === 'cp1251') return 'windows-1251';
  throw new ConfigError(env.name('ENCODING'), `must be UTF8 or Windows1251, got "${raw}"`);
}

/** The variable's entry in the catalogue, shared by every protocol that reads it. */
export const ENCODING_VARIABLE = {
  suffix: 'ENCODING',
  default: 'UTF8',
  meaning:
    '`UTF8` or `Windows1251`: how percent-escaped bytes of the query and the body are read when the Content-Type names no charset (one that does wins)',
};
