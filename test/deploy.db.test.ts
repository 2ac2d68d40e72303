/**
 * The deployment files say what the code serves and reads: every manifest and the compose file
 * are parsed, their variables fed to the real configuration readers, their probes asked of the
 * real app.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { EnvReader, type Env, readCoreConfig } from '../src/config/index.js';
import { catalogued } from '../src/config/variables.js';
import { configureProviders } from '../src/providers/index.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { startupRefusal } from './helpers/startup.js';

const ROOT = new URL('../', import.meta.url);
const KUBERNETES = new URL('deploy/kubernetes/', ROOT);

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is checked field by field below
type Doc = any;

const manifests: Doc[] = readdirSync(KUBERNETES)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => parseAllDocuments(readFileSync(new URL(file, KUBERNETES), 'utf8')).map((doc) => doc.toJS()));
const ofKind = (kind: string): Doc => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};

/** The configuration readers accept these values: no ConfigError, nothing unknown. */
function readsCleanly(env: Env): void {
  for (const name of Object.keys(env)) expect(() => catalogued(name), `${name} is read by payrelay`).not.toThrow();
  const reader = new EnvReader(env);
  readCoreConfig(reader);
  configureProviders(reader);
}

/**
 * Variables of the examples' secrets that are not payrelay's to refuse: names, and the database
 * password, which PostgreSQL checks (and an existing database keeps whatever it was created with).
 * Every other secret in an example is one payrelay checks callers against or signs with.
 */
const NOT_OURS = new Set(['PG_USER', 'HTTP_AUTH_USERNAME', 'PG_PASSWORD']);
const SECRET_NAME = /(_SECRET|_PASSWORD|_TOKEN)$/;

/** A value of the form the variable wants, as the deploy-time commands generate it. */
const generated = (name: string): string =>
  name.endsWith('WEBHOOK_SECRET') ? `whsec_${randomBytes(32).toString('base64')}` : randomBytes(32).toString('hex');

/** The ENV lines of the image's final stage. */
function imageEnv(): Record<string, string> {
  const dockerfile = readFileSync(new URL('Dockerfile', ROOT), 'utf8');
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, name, value] of finalStage.matchAll(/\b([A-Z_]+)=(\S+)/g)) env[name!] = value!;
  return env;
}

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway?.close());

async function served(path: string): Promise<number> {
  return (await gateway.app.inject({ method: 'GET', url: path })).statusCode;
}

describe('deploy/kubernetes', () => {
  const configMap = () => ofKind('ConfigMap');
  const secret = () => ofKind('Secret');
  const deployment = () => ofKind('Deployment');
  const container = () => deployment().spec.template.spec.containers[0];

  it('kustomization.yaml lists every manifest but the Secret, which is made at deploy time', () => {
    // Listed, `kubectl apply -k` would overwrite the generated Secret with the example's markers.
    const listed = parse(readFileSync(new URL('kustomization.yaml', KUBERNETES), 'utf8')).resources;
    const files = readdirSync(KUBERNETES).filter(
      (f) => f.endsWith('.yaml') && !['kustomization.yaml', 'secret.yaml'].includes(f),
    );
    expect([...listed].sort()).toEqual(files.sort());
  });

  /** The Secret as the README's command makes it: each secret generated. */
  const filled = (): Env =>
    Object.fromEntries(
      Object.entries(secret().stringData as Record<string, string>).map(([name, value]) => [
        name,
        SECRET_NAME.test(name) ? generated(name) : value,
      ]),
    );

  it('ConfigMap and Secret hold only variables payrelay reads, with values it accepts once the secrets are filled in', () => {
    readsCleanly({ ...configMap().data, ...filled() });
  });

  it('every secret of the example Secret stops payrelay at start-up, naming its variable', () => {
    const stringData = secret().stringData as Record<string, string>;
    const ours = Object.keys(stringData).filter((name) => !NOT_OURS.has(name));
    expect(ours.length).toBeGreaterThan(0);
    for (const name of ours) {
      // The others filled in: this one alone is left as the example has it.
      const env = { ...configMap().data, ...filled(), [name]: stringData[name] };
      expect(startupRefusal(env)?.variable, `${name}: ${stringData[name]}`).toBe(name);
    }
    // The database's password is no more filled in than the rest: the same marker.
    const marker = startupRefusal({ HTTP_AUTH_USERNAME: 'provider', HTTP_AUTH_PASSWORD: stringData.PG_PASSWORD });
    expect(marker?.variable, `PG_PASSWORD: ${stringData.PG_PASSWORD}`).toBe('HTTP_AUTH_PASSWORD');
  });

  it('the README makes that Secret at deploy time: its name and keys, each of our secrets generated or typed in', () => {
    const readme = readFileSync(new URL('README.md', KUBERNETES), 'utf8');
    const command = /kubectl create secret generic (\S+)((?:[^\n]*\\\n)*[^\n]*)/.exec(readme);
    expect(command, 'kubectl create secret generic ... in deploy/kubernetes/README.md').toBeTruthy();
    expect(command![1]).toBe(secret().metadata.name);
    const literals = Object.fromEntries(
      [...command![2]!.matchAll(/--from-literal=([A-Z_]+)=("[^"]*"|'[^']*'|\S+)/g)].map(([, name, value]) => [name!, value!]),
    );
    expect(Object.keys(literals).sort()).toEqual(Object.keys(secret().stringData).sort());
    for (const [name, value] of Object.entries(literals)) {
      // $(openssl rand ...) or a variable read at the prompt: never a value written in the README.
      if (SECRET_NAME.test(name)) expect(value, name).toMatch(/^"(whsec_)?\$/);
    }
  });

  it('the Deployment runs at least two replicas from that ConfigMap and Secret', () => {
    expect(deployment().spec.replicas).toBeGreaterThanOrEqual(2);
    expect(container().envFrom).toEqual([
      { configMapRef: { name: configMap().metadata.name } },
      { secretRef: { name: secret().metadata.name } },
    ]);
  });

  it('the container port is the PORT payrelay listens on, and the Service reaches it', () => {
    const port = container().ports.find((p: Doc) => p.name === 'http');
    expect(String(port.containerPort)).toBe(configMap().data.PORT);
    const service = ofKind('Service');
    expect(service.spec.ports[0].targetPort).toBe('http');
    expect(service.spec.selector).toEqual(deployment().spec.template.metadata.labels);
  });

  it('liveness, readiness and start-up probes ask paths payrelay answers, on its port', async () => {
    const probes = ['livenessProbe', 'readinessProbe', 'startupProbe'].map((name) => container()[name]);
    for (const probe of probes) {
      expect(probe.httpGet.port).toBe('http');
      expect(await served(probe.httpGet.path)).toBe(200);
    }
    // Not a route: the check above can fail.
    expect(await served('/no-such-probe')).toBe(404);
  });

  it('the grace period outlasts payrelay’s own shutdown bound', () => {
    const shutdownMs = Number(configMap().data.SHUTDOWN_TIMEOUT_MS);
    expect(deployment().spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(shutdownMs + 2000);
  });

  it('the PodDisruptionBudget covers the Deployment’s pods and keeps one', () => {
    const pdb = ofKind('PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(deployment().spec.selector.matchLabels);
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment().spec.replicas);
  });

  it('the pods run as the image’s user that is not root', () => {
    const pod = deployment().spec.template.spec.securityContext;
    expect(pod.runAsNonRoot).toBe(true);
    expect(pod.runAsUser).toBe(1000);
  });
});

describe('docker-compose.yml', () => {
  const compose: Doc = parse(readFileSync(new URL('docker-compose.yml', ROOT), 'utf8'));
  const payrelay = compose.services.payrelay;
  /** What the README's first step puts in .env. */
  const dotEnv = { PG_PASSWORD: randomBytes(32).toString('hex') };
  /**
   * As compose substitutes ${NAME:-default} and ${NAME:?message} with `shell` set (the shell and
   * .env): a required variable left unset stops `docker compose up` with its message.
   */
  const substitute = (value: unknown, shell: Env): string =>
    String(value).replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, argument?: string) => {
      if (shell[name]) return shell[name];
      if (op === '?') throw new Error(`required variable ${name} is missing a value: ${argument}`);
      return op === '-' ? argument! : '';
    });
  const environment = (shell: Env = dotEnv): Env =>
    Object.fromEntries(
      Object.entries(payrelay.environment as Record<string, string>).map(([name, value]) => [name, substitute(value, shell)]),
    );

  it('sets only variables payrelay reads, with values it accepts, for both providers', () => {
    const env = environment();
    readsCleanly(env);
    for (const name of ['QIWI_CHECK_URL', 'QIWI_WEBHOOK_URL', 'CLOUDPAYMENTS_CHECK_URL', 'CLOUDPAYMENTS_WEBHOOK_URL']) {
      expect(Object.keys(env)).toContain(name);
    }
  });

  it('points payrelay at its PostgreSQL service, started and healthy first', () => {
    expect(environment().PG_HOST).toBe('postgres');
    expect(payrelay.depends_on.postgres.condition).toBe('service_healthy');
    expect(compose.services.postgres.healthcheck.test.join(' ')).toMatch(/pg_isready/);
    expect(environment().PG_PASSWORD).toBe(substitute(compose.services.postgres.environment.POSTGRES_PASSWORD, dotEnv));
  });

  it('holds no secret that would be accepted: each is unset, required from the shell or .env, or refused', () => {
    const secrets = Object.entries(payrelay.environment as Record<string, string>).filter(([name]) => SECRET_NAME.test(name));
    expect(secrets.map(([name]) => name)).toContain('PG_PASSWORD');
    for (const [name, value] of secrets) {
      let substituted: string;
      try {
        substituted = substitute(value, {});
      } catch {
        continue; // required: `docker compose up` stops until it is set
      }
      if (substituted === '') continue; // unset: no secret, nothing to guess
      expect(NOT_OURS.has(name), `${name}: ${substituted} is not payrelay's to refuse, so it needs no default`).toBe(false);
      expect(startupRefusal({ ...environment(), [name]: substituted })?.variable, `${name}: ${substituted}`).toBe(name);
    }
    expect(() => substitute(compose.services.postgres.environment.POSTGRES_PASSWORD, {})).toThrow(/required/);
  });

  it('the README’s compose step sets each variable compose requires', () => {
    const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
    const required = [...readFileSync(new URL('docker-compose.yml', ROOT), 'utf8').matchAll(/\$\{([A-Z_]+):\?/g)].map(
      ([, name]) => name!,
    );
    for (const name of new Set(required)) expect(readme, name).toMatch(new RegExp(`${name}=\\$\\(openssl rand`));
  });

  it('keeps the database in a named volume', () => {
    const [volume] = compose.services.postgres.volumes[0].split(':');
    expect(Object.keys(compose.volumes)).toContain(volume);
  });

  it('publishes the port the image listens on, and health-checks a path payrelay answers', async () => {
    expect(imageEnv().PORT).toBe('80');
    expect(payrelay.ports[0]).toMatch(/:80$/);
    const check = payrelay.healthcheck.test.join(' ');
    const url = /http:\/\/127\.0\.0\.1:(\d+)(\/\w+)/.exec(check);
    expect(url?.[1]).toBe(imageEnv().PORT);
    expect(await served(url![2]!)).toBe(200);
  });
});
