/** The catalogue of variables is the code's and the documentation's one source. */
import { readAlertConfig } from '../alerts/config.js';
import { readRetentionDays } from '../cli/prune-logs.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configureProviders, protocols } from '../providers/index.js';
import { EnvReader, type Env } from './env.js';
import { readCoreConfig } from './index.js';
import { renderConfigurationDoc, replacedNames } from './variables-doc.js';
import { catalogued, variables } from './variables.js';

/** Every protocol's instance, under its own name: each reads its own variables. */
const EVERY_PROTOCOL = { PROVIDERS: protocols.map(({ name }) => name).join(',') };

/** The catalogue's names with `<NAME>_` spelled for each of those instances, as they are read. */
const READ_NAMES = variables().flatMap(({ name }) =>
  name.startsWith('<NAME>_') ? protocols.map((protocol) => name.replace('<NAME>', protocol.name.toUpperCase())) : [name],
);

/** Records every name the configuration code asks for. */
class RecordingReader extends EnvReader {
  constructor(
    env: Env,
    readonly asked: Set<string>,
  ) {
    super(env);
  }
  override string(name: string) {
    this.asked.add(name);
    return super.string(name);
  }
  override secret(name: string) {
    this.asked.add(name);
    return super.secret(name);
  }
}

describe('the catalogue of variables', () => {
  it('lists exactly what the configuration code reads', () => {
    const asked = new Set<string>();
    // The embedded database, then a server: some variables are read only on one path.
    const alerting = {
      ALERT_WEBHOOK_URL: 'http://127.0.0.1:1/alerts',
      ALERT_TELEGRAM_BOT_TOKEN: 'token',
      ALERT_TELEGRAM_CHAT_ID: '1',
      ALERT_SMTP_URL: 'smtp://127.0.0.1:1',
      ALERT_EMAIL_TO: 'ops@example.com',
    };
    // Alert channels read their details only when they are configured.
    for (const env of [EVERY_PROTOCOL, { ...EVERY_PROTOCOL, PG_HOST: '127.0.0.1' }, { ...EVERY_PROTOCOL, ...alerting }]) {
      const reader = new RecordingReader(env, asked);
      readCoreConfig(reader);
      configureProviders(reader);
      readAlertConfig(reader);
      readRetentionDays(reader);
    }
    expect([...asked].sort()).toEqual(READ_NAMES.sort());
  });

  it('refuses to read a variable that is not in it', () => {
    expect(() => new EnvReader({ SURPRISE: '1' }).string('SURPRISE')).toThrow(/SURPRISE is not in the catalogue/);
  });

  it('names each variable once', () => {
    const names = variables().map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('holds every variable of the replaced containers', () => {
    for (const name of replacedNames()) expect(() => catalogued(name)).not.toThrow();
  });
});

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` writes from the catalogue (run it after changing one)', () => {
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigurationDoc());
  });
});
