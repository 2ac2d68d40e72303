import type { EnvReader } from '../config/index.js';
import { cloudpayments } from './cloudpayments/index.js';
import { qiwi } from './qiwi/index.js';
import type { AnyProvider, ConfiguredProvider } from './types.js';

/** The one list of providers. Adding one is its folder plus a line here. */
export const providers: AnyProvider[] = [cloudpayments, qiwi];

export function configureProviders(env: EnvReader): ConfiguredProvider[] {
  return providers.map((provider) => ({ provider, settings: provider.readSettings(env) }));
}
