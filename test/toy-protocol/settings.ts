import type { InstanceEnv } from '../../src/config/index.js';
import type { ProtocolVariable } from '../../src/config/variables.js';
import type { ProviderSettings } from '../../src/providers/types.js';

export interface ToySettings extends ProviderSettings {
  /** Said in every accepted check's answer. */
  greeting: string;
}

/** The toy's own variables, by suffix: an instance `toy` reads `TOY_GREETING`, an instance `play:toy` `PLAY_GREETING`. */
export const VARIABLES: ProtocolVariable[] = [
  { suffix: 'GREETING', default: 'hello', meaning: 'a word the answer to an accepted check carries' },
];

/** What every instance reads (`shared`), and the toy's own variables under the instance's prefix. */
export function readToySettings(env: InstanceEnv, shared: ProviderSettings): ToySettings {
  return { ...shared, greeting: env.string('GREETING') ?? 'hello' };
}
