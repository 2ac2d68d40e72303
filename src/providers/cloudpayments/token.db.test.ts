/**
 * The card's Token charges the card again (recurring payments): the merchant's systems keep it,
 * nobody reads it (issue 29, finding 15). The request log and the admin show `***`; the
 * payment's payload keeps it for the merchant.
 */
import { describe, expect, it } from 'vitest';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import { PAY, PAY_JSON } from './fixtures/notifications.js';

const TOKEN = 'tk_f5a3c1d2e9b8a7c6d5e4f3a2b1c0d9';
const ADMIN = 'admin-token-for-the-token-test-1';

async function start() {
  const gateway = await startTestGateway({ ADMIN_TOKEN: ADMIN });
  const admin = async (path: string) =>
    (await gateway.app.inject({ method: 'GET', url: `/admin/api${path}`, headers: { authorization: `Bearer ${ADMIN}` } })).json();
  return { gateway, admin };
}

describe('a card token', () => {
  it('is masked in the request log and the admin, and kept in the payment for the merchant', async () => {
    expect(PAY).toContain(`Token=${TOKEN}`);
    const { gateway, admin } = await start();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await gateway.app.inject({ method: 'POST', url: '/pay', headers: form, payload: PAY })).body).toBe('{"code":0}');

    const [logged] = await gateway.db.query<{ body: string; body_raw: Buffer | null }>(
      `SELECT body, body_raw FROM ${gateway.db.table('cloudpayments_http_log')}`,
    );
    expect(logged!.body).toContain('Token=***&');
    expect(logged!.body).not.toContain(TOKEN);
    expect(logged!.body_raw).toBeNull();
    const [payment] = await gateway.db.query<{ id: string; payload: { Token: string } | string }>(
      `SELECT id::text AS id, payload FROM ${gateway.db.table('cloudpayments_transaction')}`,
    );
    const payload = typeof payment!.payload === 'string' ? JSON.parse(payment!.payload) : payment!.payload;
    expect(payload.Token).toBe(TOKEN);

    const story = await admin(`/transactions/cloudpayments/${payment!.id}`);
    expect(JSON.stringify(story)).not.toContain(TOKEN);
    expect(story.details.payload.Token).toBe('***');
    expect(story.requests[0].body).toContain('Token=***');
    const requests = await admin('/requests?provider=cloudpayments');
    expect(JSON.stringify(requests)).not.toContain(TOKEN);
  });

  it('is masked in a JSON body and in a query string too', async () => {
    const { gateway } = await start();
    const json = { 'content-type': 'application/json' };
    await gateway.app.inject({
      method: 'POST',
      url: '/pay',
      headers: json,
      payload: PAY_JSON.replace('"TestMode":true', `"TestMode":true,"Token": "${TOKEN}"`),
    });
    await gateway.app.inject({ method: 'GET', url: `/pay?${PAY.replace('2901358781', '2901358783')}` });
    const rows = await gateway.db.query<{ url: string; body: string | null }>(
      `SELECT url, body FROM ${gateway.db.table('cloudpayments_http_log')} ORDER BY id`,
    );
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain(TOKEN);
    expect(rows[0]!.body).toMatch(/"Token"\s*:\s*"\*\*\*"/);
    expect(rows[1]!.url).toContain('Token=***&');
  });
});
