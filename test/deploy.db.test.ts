/**
 * The deployment files say what the code serves and reads: every manifest and the compose file
 * are parsed, their variables fed to the real configuration readers, their probes asked of the
 * real app.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { EnvReader, type Env, readCoreConfig } from '../src/config/index.js';
import { VARIABLES } from '../src/config/variables.js';
import { configureProviders } from '../src/providers/index.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const ROOT = new URL('../', import.meta.url);
const KUBERNETES = new URL('deploy/kubernetes/', ROOT);
const CATALOGUE = new Set(VARIABLES.map((v) => v.name));

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
  for (const name of Object.keys(env)) expect(CATALOGUE, `${name} is read by payrelay`).toContain(name);
  const reader = new EnvReader(env);
  readCoreConfig(reader);
  configureProviders(reader);
}

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

  it('kustomization.yaml lists every manifest', () => {
    const listed = parse(readFileSync(new URL('kustomization.yaml', KUBERNETES), 'utf8')).resources;
    const files = readdirSync(KUBERNETES).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...listed].sort()).toEqual(files.sort());
  });

  it('ConfigMap and Secret hold only variables payrelay reads, with values it accepts', () => {
    readsCleanly({ ...configMap().data, ...secret().stringData });
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
  /** As compose would substitute ${NAME:-default} with nothing set in the shell. */
  const environment = (): Env =>
    Object.fromEntries(
      Object.entries(payrelay.environment as Record<string, string>).map(([name, value]) => [
        name,
        String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1'),
      ]),
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
    expect(environment().PG_PASSWORD).toBe(
      compose.services.postgres.environment.POSTGRES_PASSWORD.replace(/\$\{[A-Z_]+:-([^}]*)\}/, '$1'),
    );
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
