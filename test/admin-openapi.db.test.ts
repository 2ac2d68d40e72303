/**
 * The OpenAPI document at /admin/api/openapi.json against the routes that really exist: the
 * same operations both ways, and every documented constraint enforced by the route.
 */
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../src/admin/index.js';
import { EnvReader, readCoreConfig } from '../src/config/index.js';
import { configureProviders } from '../src/providers/index.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const TOKEN = 'admin-token-for-openapi-tests-42';
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema: { type?: string; enum?: unknown[]; maximum?: number; maxLength?: number };
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: Record<string, unknown> };

let gateway: TestGateway;
let document: Document;

beforeAll(async () => {
  gateway = await startTestGateway({ ADMIN_TOKEN: TOKEN, QIWI_WEBHOOK_URL: 'http://127.0.0.1:9/none' });
  const response = await gateway.app.inject({ url: '/admin/api/openapi.json', headers: AUTH });
  expect(response.statusCode).toBe(200);
  document = response.json();
});
afterAll(() => gateway.close());

/** Every operation the admin plugin registers under /admin/api, as `METHOD /path/{param}`. */
async function registeredOperations(): Promise<string[]> {
  const app = Fastify();
  const operations: string[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
    if (!path.startsWith('/admin/api/')) return;
    for (const method of methods) if (method !== 'HEAD') operations.push(`${method} ${path}`);
  });
  const env = new EnvReader({ ADMIN_TOKEN: TOKEN });
  await app.register(admin, {
    core: readCoreConfig(env),
    db: gateway.db,
    reads: gateway.db,
    providers: configureProviders(env),
    wakeDelivery: () => undefined,
  });
  await app.ready();
  await app.close();
  return operations.sort();
}

function documentedOperations(): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with Bearer security', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.components).toMatchObject({ securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } });
  });

  it('names exactly the operations the routes serve', async () => {
    const registered = await registeredOperations();
    expect(registered.length).toBeGreaterThanOrEqual(6);
    expect(documentedOperations()).toEqual(registered);
  });

  it('lists the configured providers, not a fixed pair', () => {
    const provider = document.paths['/admin/api/transactions']!.get!.parameters!.find(
      (parameter) => parameter.name === 'provider',
    );
    expect(provider?.schema.enum).toEqual(['qiwi', 'cloudpayments']);
  });

  it('documents constraints the routes enforce: each violation is a 400', async () => {
    let checked = 0;
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const parameter of operation.parameters ?? []) {
          const bad = violation(parameter);
          if (bad === undefined) continue;
          const url = concreteUrl(path, parameter.in === 'path' ? { [parameter.name]: bad } : {});
          const query = parameter.in === 'query' ? `?${parameter.name}=${encodeURIComponent(bad)}` : '';
          const response = await gateway.app.inject({
            method: method.toUpperCase() as 'GET',
            url: `${url}${query}`,
            headers: AUTH,
          });
          expect(response.statusCode, `${method} ${path} ${parameter.name}=${bad}`).toBe(400);
          expect(response.json()).toMatchObject({ error: 'bad request' });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });

  it('documents every query parameter a route takes: an undocumented one is a 400', async () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      const operation = operations.get;
      if (!operation?.parameters?.some((parameter) => parameter.in === 'query')) continue;
      const response = await gateway.app.inject({ url: `${concreteUrl(path)}?undocumented=1`, headers: AUTH });
      expect(response.statusCode, path).toBe(400);
    }
  });
});

/** A value the parameter's schema forbids, when the schema forbids any. */
function violation({ schema }: Parameter): string | undefined {
  if (schema.enum) return 'not-in-the-list';
  if (schema.type === 'integer') return schema.maximum === undefined ? 'x' : String(schema.maximum + 1);
  if (schema.type === 'boolean') return 'perhaps';
  if ((schema as { format?: string }).format === 'date-time') return 'yesterday';
  if (schema.maxLength !== undefined) return 'x'.repeat(schema.maxLength + 1);
  if ((schema as { pattern?: string }).pattern) return 'no-such-id';
  return undefined;
}

function concreteUrl(path: string, values: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(values[name] ?? (name === 'provider' ? 'qiwi' : '1')),
  );
}
