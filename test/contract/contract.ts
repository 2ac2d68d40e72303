/**
 * The contract every protocol passes, whatever its wire format: it plays the network only through
 * the protocol's simulator (request, sign, explain) against a gateway running one instance of it,
 * named like the protocol, with Basic credentials, an allow-list, a small body limit and both
 * webhook URLs at receivers. What differs between protocols, the simulator declares: how a
 * clashing pay is answered (`clash`) and which action makes an event (`eventAction`).
 *
 * The file that calls contractSuite() must watch the dispatcher's claims (see
 * test/contract.db.test.ts): "delivered once" waits for a later claim round, never for a time.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EnvReader } from '../../src/config/index.js';
import { claimDue } from '../../src/delivery/store.js';
import { DEFAULT_PROVIDERS } from '../../src/providers/index.js';
import { configureInstances } from '../../src/providers/instances.js';
import type { SimulatedRequest, SimulationInput, Simulator } from '../../src/providers/simulator.js';
import type { AnyProtocol, ProviderSettings } from '../../src/providers/types.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type Receiver, startReceiver, waitFor } from '../helpers/receiver.js';

export interface ContractOptions {
  /** Every protocol the gateway may run: the registry's, and the test's own. */
  protocols: readonly AnyProtocol[];
  /** The instance to run it as (`halyk` of `kaspi`); the protocol's own name unless said. */
  instance?: string;
}

const USER = 'contract';
const PASSWORD = randomBytes(16).toString('hex');
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const WRONG_AUTH = `Basic ${Buffer.from(`${USER}:wrong-${PASSWORD}`).toString('base64')}`;
const BODY_LIMIT = 1024;
const OUTSIDER = '203.0.113.9';
const LOCAL_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;
/** docs/events.md: the body's keys in order (more may follow in a later release). */
const EVENT_KEYS = [
  'type',
  'id',
  'transaction_id',
  'payment_transaction_id',
  'payment_id',
  'account',
  'sum',
  'created_at',
  'fields',
  'code',
];

interface Sent {
  status: number;
  contentType: string;
  body: string;
  headers: Record<string, unknown>;
}
type Method = SimulatedRequest['method'] | 'PUT';
interface Stored {
  id: string;
  account: string;
  code: string;
  sum: string;
  status: number;
}

export function contractSuite(protocol: AnyProtocol, { protocols, instance }: ContractOptions): void {
  const name = instance ?? protocol.name;
  const simulator = protocol.simulator as Simulator<ProviderSettings> | undefined;
  describe(`${name}: the contract every protocol passes`, () => {
    it('has a simulator: the suite plays its network through it', () => expect(simulator).toBeDefined());
    if (!simulator) return;
    const clash = simulator.clash ?? 'refused';
    const base = new URL(`http://gateway.test/_${name}_/`);
    let gateway: TestGateway;
    let payments: Receiver;
    let events: Receiver;
    let settings: ProviderSettings;

    beforeAll(async () => {
      expect(vi.isMockFunction(claimDue), 'the calling file must vi.mock claimDue (test/contract.db.test.ts)').toBe(true);
      [payments, events] = await Promise.all([startReceiver(), startReceiver()]);
      const NAME = name.toUpperCase();
      const env = {
        PROVIDERS: name === protocol.name ? name : `${name}:${protocol.name}`,
        HTTP_AUTH_USERNAME: USER,
        HTTP_AUTH_PASSWORD: PASSWORD,
        HTTP_BODY_LIMIT_BYTES: String(BODY_LIMIT),
        [`${NAME}_ALLOWED_IPS`]: '127.0.0.1',
        [`${NAME}_WEBHOOK_URL`]: `${payments.url}/payments`,
        [`${NAME}_EVENTS_WEBHOOK_URL`]: `${events.url}/events`,
      };
      gateway = await startTestGateway(env, undefined, protocols);
      settings = configureInstances(new EnvReader(gateway.env), protocols, DEFAULT_PROVIDERS)[0]!.settings;
    });
    afterAll(async () => {
      await gateway?.close();
      await Promise.all([payments?.close(), events?.close()]);
    });

    let serial = 0;
    /** A payment of its own for each case: a new id and account. */
    const fresh = (sum = '10.00'): SimulationInput & { txnId: string; account: string; sum: string } => {
      serial += 1;
      return { account: `C-${serial}`, sum, txnId: String(7_000_100 + serial), now: new Date() };
    };
    const table = (suffix: string) => gateway.db.table(`${name}_${suffix}`);

    async function send(request: SimulatedRequest, as: { method?: Method; auth?: string; from?: string } = {}): Promise<Sent> {
      const response = await gateway.app.inject({
        method: as.method ?? request.method,
        url: `${request.url.pathname}${request.url.search}`,
        headers: { ...request.headers, authorization: as.auth ?? AUTH },
        payload: request.body,
        remoteAddress: as.from,
      });
      const contentType = String(response.headers['content-type'] ?? '');
      return { status: response.statusCode, contentType, body: response.body, headers: response.headers };
    }
    const request = (action: string, input: SimulationInput) => simulator.request(base, action, input, settings);
    const play = async (action: string, input: SimulationInput) => simulator.explain(await send(request(action, input)), action);

    const stored = async (code: string) =>
      (
        await gateway.db.query<Stored & Record<string, unknown>>(
          `SELECT id::text AS id, account, code, sum::text AS sum, status FROM ${table('transaction')} WHERE code = $1`,
          [code],
        )
      ).map((row) => ({ ...row, status: Number(row.status) }));
    /** What a refused request must leave as it was: the payments and the events (the request log takes every request). */
    const recorded = async () =>
      (
        await gateway.db.query<{ payments: number; events: number }>(
          `SELECT (SELECT count(*) FROM ${table('transaction')})::int AS payments, (SELECT count(*) FROM ${table('event')})::int AS events`,
        )
      )[0]!;
    const deliveriesOf = (code: string) => payments.received.filter((entry) => JSON.parse(entry.body).code === code);

    /** A claim of payments that starts now and completes: a delivery due, or a second one, would be in it. */
    async function laterRound() {
      const { calls, settledResults } = vi.mocked(claimDue).mock;
      const from = calls.length;
      const outbox = `${name}_transaction`;
      await waitFor(
        () => calls.some(([, o], i) => i >= from && o.table === outbox && settledResults[i]?.type === 'fulfilled'),
        'a later round of payment claims',
      );
    }
    /** Delivered, and still once when a later claim has come and what it took is answered and recorded. */
    async function deliveredOnce(code: string) {
      await waitFor(async () => (await stored(code))[0]?.status === 1, `${code} delivered`);
      await laterRound();
      const free = `SELECT 1 FROM ${table('transaction')} WHERE code = $1 AND (locked_until IS NULL OR locked_until <= now())`;
      await waitFor(async () => (await gateway.db.query(free, [code])).length === 1, `no delivery of ${code} under way`);
      expect(deliveriesOf(code)).toHaveLength(1);
    }
    async function payAndDeliver(input: SimulationInput & { txnId: string }): Promise<Stored> {
      expect((await play('pay', input)).accepted).toBe(true);
      const delivered = async () => (await stored(input.txnId)).find((row) => row.status === 1);
      return (await waitFor(delivered, `${input.txnId} delivered`))!;
    }

    it('accepts a check, recording nothing', async () => {
      const before = await recorded();
      expect(await play('check', fresh())).toMatchObject({ accepted: true });
      expect(await recorded()).toEqual(before);
    });

    it('records a pay once, with its account, code and sum', async () => {
      const input = fresh('12.50');
      expect(await play('pay', input)).toMatchObject({ accepted: true });
      expect(await stored(input.txnId)).toMatchObject([{ account: input.account, code: input.txnId, sum: '12.50' }]);
    });

    it('delivers a payment with the body every protocol has', async () => {
      const input = fresh('12.50');
      const { id } = await payAndDeliver(input);
      const [delivery] = deliveriesOf(input.txnId);
      const { created_at } = JSON.parse(delivery!.body) as { created_at: string };
      expect(created_at).toMatch(LOCAL_TIME);
      const [account, code] = [input.account, input.txnId].map((text) => JSON.stringify(text));
      expect(delivery!.body).toBe(
        `{"id": "${id}", "account": ${account}, "code": ${code}, "sum": 12.5, "created_at": "${created_at}"}`,
      );
    });

    it('accepts a repeat as the first, with no new row', async () => {
      const input = fresh();
      expect(await play('pay', input)).toMatchObject({ accepted: true });
      expect(await play('pay', input)).toMatchObject({ accepted: true });
      expect(await stored(input.txnId)).toHaveLength(1);
    });

    it('takes ten concurrent repeats as one payment, delivered once', async () => {
      const input = fresh();
      const answers = await Promise.all(Array.from({ length: 10 }, () => play('pay', input)));
      expect(answers.map(({ accepted }) => accepted)).toEqual(Array(10).fill(true));
      expect(await stored(input.txnId)).toHaveLength(1);
      await deliveredOnce(input.txnId);
    });

    it(`${clash === 'refused' ? 'refuses' : 'acknowledges'} the same id with another sum, changing and delivering nothing`, async () => {
      const input = fresh('10.00');
      const first = await payAndDeliver(input);
      const before = await recorded();
      const answer = await play('pay', { ...input, sum: '99.99' });
      expect(answer.accepted).toBe(clash === 'accepted');
      expect(answer.temporary ?? false).toBe(false);
      expect(await stored(input.txnId)).toEqual([first]);
      expect(await recorded()).toEqual(before);
      await deliveredOnce(input.txnId);
    });

    const noAuth = protocol.basicAuth === false;
    const authWhy = noAuth ? ' (skipped: basicAuth is false, its network sends no credentials)' : '';
    it.skipIf(noAuth)(`refuses wrong credentials with 401, recording nothing${authWhy}`, async () => {
      const before = await recorded();
      const answer = await send(request('pay', fresh()), { auth: WRONG_AUTH });
      expect(answer.status).toBe(401);
      expect(await recorded()).toEqual(before);
    });

    it(`refuses an address outside ${name.toUpperCase()}_ALLOWED_IPS with 403, recording nothing`, async () => {
      const before = await recorded();
      expect((await send(request('pay', fresh()), { from: OUTSIDER })).status).toBe(403);
      expect(await recorded()).toEqual(before);
    });

    it('refuses a body over HTTP_BODY_LIMIT_BYTES in its own words, recording nothing', async () => {
      const before = await recorded();
      const pay = request('pay', fresh());
      // JSON and forms alike end in spaces; a request without a body gets one.
      const headers = { 'content-type': 'text/plain', ...pay.headers };
      const padded: SimulatedRequest = {
        ...pay,
        method: 'POST',
        headers,
        body: `${pay.body ?? ''}${' '.repeat(BODY_LIMIT + 1)}`,
      };
      const answer = await send(simulator.sign?.(padded, settings) ?? padded);
      expect(simulator.explain(answer, 'pay').accepted).toBe(false);
      expect(await recorded()).toEqual(before);
    });

    it('answers 404 for a path it does not have under its prefix', async () => {
      const answer = await send({ method: 'GET', url: new URL('contract/no-such-endpoint', base) });
      expect(answer.status).toBe(404);
    });

    it('refuses PUT with 405 and Allow: GET, POST, recording nothing', async () => {
      const before = await recorded();
      const answer = await send(request('pay', fresh()), { method: 'PUT' });
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('GET, POST');
      expect(await recorded()).toEqual(before);
    });

    it('answers a database failure with its temporary answer, recording nothing; the repeat is recorded', async () => {
      const input = fresh();
      const { db } = gateway;
      const before = await recorded();
      await db.exec(`ALTER TABLE ${table('transaction')} RENAME TO ${name}_transaction_away`);
      let answer: Awaited<ReturnType<typeof play>>;
      try {
        answer = await play('pay', input);
      } finally {
        await db.exec(`ALTER TABLE ${db.table(`${name}_transaction_away`)} RENAME TO ${name}_transaction`);
      }
      expect(answer).toMatchObject({ accepted: false, temporary: true });
      expect(await recorded()).toEqual(before);
      expect(await play('pay', input)).toMatchObject({ accepted: true });
      expect(await stored(input.txnId)).toHaveLength(1);
    });

    const action = simulator.eventAction;
    const why = action ? `(${action})` : '(skipped: its simulator names no eventAction, its network sends no events)';
    it.skipIf(!action)(`delivers an event about a payment to the events webhook ${why}`, async () => {
      const input = fresh('30.00');
      const payment = await payAndDeliver(input);
      expect(await play(action!, input)).toMatchObject({ accepted: true });
      const about = () => events.received.find((entry) => JSON.parse(entry.body).payment_transaction_id === input.txnId);
      const body = JSON.parse((await waitFor(about, 'the event'))!.body) as Record<string, unknown>;
      expect(Object.keys(body).slice(0, EVENT_KEYS.length)).toEqual(EVENT_KEYS);
      expect(body).toMatchObject({
        type: expect.any(String),
        id: expect.stringMatching(/^\d+$/),
        payment_id: payment.id,
        created_at: expect.stringMatching(LOCAL_TIME),
        fields: expect.any(Object),
        code: input.txnId,
      });
    });
  });
}
