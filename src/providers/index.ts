import type { EnvReader } from '../config/index.js';
import { cloudpayments } from './cloudpayments/index.js';
import { qiwi } from './qiwi/index.js';
import type { ConfiguredProvider, Provider } from './types.js';

/** The one list of providers. Adding one is its folder plus a line here. */
// Each provider has its own settings type; the list only needs what they share.
export const providers: Provider<any>[] = [cloudpayments, qiwi];

export function configureProviders(env: EnvReader): ConfiguredProvider[] {
  return providers.map((provider) => ({ provider, settings: provider.readSettings(env) }));
}
