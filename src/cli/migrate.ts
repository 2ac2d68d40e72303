import { EnvReader, loadEnv, readCoreConfig } from '../config/index.js';
import { prepareDatabase } from '../db/index.js';
import { migratedProviders } from '../providers/index.js';
import { parseCommandLine } from './args.js';
import type { CliCommand } from './types.js';

export const command: CliCommand = {
  name: 'migrate',
  summary: 'apply the database migrations and exit',
  help: `usage: payrelay migrate

Creates the database and schema when missing and applies the migrations this version ships for
the instances PROVIDERS names, in one transaction; safe while other processes start. Starting the gateway does the same.
Prints the migrations applied, or that the database is up to date.`,
  async run(args) {
    parseCommandLine(args, {});
    const env = new EnvReader(loadEnv());
    const core = readCoreConfig(env);
    const applied = await prepareDatabase(core.database, migratedProviders(env));
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    return 0;
  },
};
