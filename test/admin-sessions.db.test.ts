/**
 * The dashboard's sessions are rows in the database as well as signed cookies: signing out ends
 * one on every gateway sharing the database, the row never holds what the cookie does, and
 * expired rows go away. The rest of the dashboard is admin-dashboard.db.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { engineName, freshDatabase } from './helpers/engine.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const TOKEN = 'sessions-token-for-tests-24680135';
const HOST = 'payrelay.test';

const page = (gateway: TestGateway, cookie: string) => gateway.app.inject({ url: '/admin', headers: { host: HOST, cookie } });
const post = (gateway: TestGateway, url: string, body: Record<string, string>, cookie?: string) =>
  gateway.app.inject({
    method: 'POST',
    url,
    headers: {
      host: HOST,
      origin: `http://${HOST}`,
      'content-type': 'application/x-www-form-urlencoded',
      ...(cookie ? { cookie } : {}),
    },
    payload: new URLSearchParams(body).toString(),
  });
const isSignedIn = async (gateway: TestGateway, cookie: string) => (await page(gateway, cookie)).body.includes('name="csrf"');

async function signIn(gateway: TestGateway): Promise<string> {
  const response = await post(gateway, '/admin/login', { token: TOKEN });
  expect(response.statusCode).toBe(303);
  return String(response.headers['set-cookie']).split(';')[0]!;
}

async function signOut(gateway: TestGateway, cookie: string): Promise<void> {
  const csrf = /name="csrf" value="([^"]+)"/.exec((await page(gateway, cookie)).body)![1]!;
  expect((await post(gateway, '/admin/logout', { csrf }, cookie)).statusCode).toBe(303);
}

const sessionRows = (gateway: TestGateway) =>
  gateway.db.query<{ row: string }>(`SELECT row_to_json(s)::text AS row FROM ${gateway.db.table('admin_session')} s`);

describe('dashboard sessions', () => {
  // PGlite is one process's database: a second gateway cannot open it while the first has it.
  it.skipIf(engineName === 'pglite')('end on every gateway sharing the database when signed out on one', async () => {
    const database = await freshDatabase();
    const one = await startTestGateway({ ADMIN_TOKEN: TOKEN }, database);
    const other = await startTestGateway({ ADMIN_TOKEN: TOKEN }, database);
    const cookie = await signIn(one);
    const staying = await signIn(one);
    expect(await isSignedIn(other, cookie)).toBe(true);
    await signOut(other, cookie);
    expect(await isSignedIn(one, cookie)).toBe(false);
    expect(await isSignedIn(other, cookie)).toBe(false);
    expect(await isSignedIn(one, staying)).toBe(true);
  });

  it('are kept as a hash: the row holds neither the cookie nor its nonce', async () => {
    const gateway = await startTestGateway({ ADMIN_TOKEN: TOKEN });
    const cookie = await signIn(gateway);
    const [expires, nonce, signature] = cookie.split('=')[1]!.split('.') as [string, string, string];
    const rows = await sessionRows(gateway);
    expect(rows).toHaveLength(1);
    for (const secret of [nonce, signature]) expect(rows[0]!.row).not.toContain(secret);
    const [row] = await gateway.db.query<{ expires_at: Date }>(`SELECT expires_at FROM ${gateway.db.table('admin_session')}`);
    expect(row!.expires_at.getTime()).toBe(Number(expires) * 1000);
  });

  it('that expired are deleted by a later sign-in', async () => {
    const gateway = await startTestGateway({ ADMIN_TOKEN: TOKEN });
    const sessions = gateway.db.table('admin_session');
    const old = await signIn(gateway);
    await gateway.db.query(`UPDATE ${sessions} SET expires_at = now() - interval '1 second'`);
    const fresh = await signIn(gateway);
    const rows = await gateway.db.query<{ live: boolean }>(`SELECT expires_at > now() AS live FROM ${sessions}`);
    expect(rows).toEqual([{ live: true }]);
    expect(await isSignedIn(gateway, old)).toBe(false);
    expect(await isSignedIn(gateway, fresh)).toBe(true);
  });
});
