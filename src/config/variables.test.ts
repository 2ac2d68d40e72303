/** The catalogue of variables is the code's and the documentation's one source. */
import { readAlertConfig } from '../alerts/config.js';
import { readRetentionDays } from '../cli/prune-logs.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configureProviders } from '../providers/index.js';
import { EnvReader, type Env } from './env.js';
import { readCoreConfig } from './index.js';
import { REPLACED_NAMES, renderConfigurationDoc } from './variables-doc.js';
import { VARIABLES } from './variables.js';

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
    for (const env of [{}, { PG_HOST: '127.0.0.1' }, alerting]) {
      const reader = new RecordingReader(env, asked);
      readCoreConfig(reader);
      configureProviders(reader);
      readAlertConfig(reader);
      readRetentionDays(reader);
    }
    expect([...asked].sort()).toEqual(VARIABLES.map((v) => v.name).sort());
  });

  it('refuses to read a variable that is not in it', () => {
    expect(() => new EnvReader({ SURPRISE: '1' }).string('SURPRISE')).toThrow(/SURPRISE is not in the catalogue/);
  });

  it('names each variable once', () => {
    const names = VARIABLES.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('holds every variable of the replaced containers', () => {
    const names = VARIABLES.map((v) => v.name);
    for (const name of REPLACED_NAMES) expect(names).toContain(name);
  });
});

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` writes from the catalogue (run it after changing one)', () => {
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigurationDoc());
  });
});
