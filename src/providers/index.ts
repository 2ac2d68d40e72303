import { catalogueProtocols } from '../config/variables.js';
import type { EnvReader } from '../config/index.js';
import { cloudpayments } from './cloudpayments/index.js';
import { configureInstances, listInstances, migrationSources } from './instances.js';
import { kassa24 } from './kassa24/index.js';
import { kaspi } from './kaspi/index.js';
import { paybox } from './paybox/index.js';
import { qiwi } from './qiwi/index.js';
import type { MigratedInstance } from '../db/migrate.js';
import type { AnyProtocol, Instance } from './types.js';

/** The one list of protocols. Adding one is its folder, a line here and its page in docs/providers/. */
export const protocols: readonly AnyProtocol[] = [cloudpayments, qiwi, kassa24, kaspi, paybox];

/** The instances a deployment runs when PROVIDERS is unset: the replaced containers' two. */
export const DEFAULT_PROVIDERS = 'qiwi,cloudpayments';

catalogueProtocols(protocols, DEFAULT_PROVIDERS);

/** The instances PROVIDERS names, with their settings. */
export function configureProviders(env: EnvReader): Instance[] {
  return configureInstances(env, protocols, DEFAULT_PROVIDERS);
}

/** The instances PROVIDERS names, as the migrations see them (no settings read). */
export function migratedProviders(env: EnvReader): MigratedInstance[] {
  return migrationSources(listInstances(env, protocols, DEFAULT_PROVIDERS));
}
