import { readAlertConfig } from '../../src/alerts/config.js';
import { ConfigError, EnvReader, type Env, readCoreConfig } from '../../src/config/index.js';
import { configureProviders } from '../../src/providers/index.js';

/** Every reader `payrelay serve` runs at start-up, on these variables: the ConfigError that stops it, or undefined. */
export function startupRefusal(env: Env): ConfigError | undefined {
  const reader = new EnvReader(env);
  try {
    readCoreConfig(reader);
    configureProviders(reader);
    readAlertConfig(reader);
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}
