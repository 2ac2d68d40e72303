/** The alert monitor as `payrelay serve` starts it, in the real process. */
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { freshDatabaseOnDisk } from './helpers/engine.js';
import { startGatewayProcess } from './helpers/process.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';

const types = (receiver: Receiver) => receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type);

describe('the gateway process', () => {
  it('sends the alerts by itself when configured (serve starts the monitor)', async () => {
    const backend = await startReceiver(() => ({ status: 500 }));
    const hook = await startReceiver(() => ({ status: 200 }));
    const database = freshDatabaseOnDisk();
    const gateway = await startGatewayProcess({
      ...database.env,
      QIWI_WEBHOOK_URL: backend.url,
      WEBHOOK_RETRY_MIN_MS: '20',
      WEBHOOK_RETRY_MAX_MS: '200',
      WEBHOOK_PROBE_MAX_MS: '100',
      ALERT_AFTER_MS: '300',
      ALERT_CHECK_MS: '100',
      ALERT_WEBHOOK_URL: hook.url,
    });
    onTestFinished(async () => {
      await gateway.kill();
      await backend.close();
      await hook.close();
      await database.drop();
    });
    expect(gateway.output()).toContain('alerts: webhook, when webhooks are 300 ms late');
    await fetch(`${gateway.url}/payment?command=pay&txn_id=1&account=acc&sum=1.00`);
    await vi.waitFor(() => expect(types(hook)).toEqual(['incident.opened']), { timeout: 15_000, interval: 50 });
    expect(hook.received[0]!.headers['webhook-signature']).toBeUndefined(); // no secret configured: unsigned
    backend.respondWith(() => ({ status: 200 }));
    await vi.waitFor(() => expect(types(hook)).toEqual(['incident.opened', 'incident.resolved']), {
      timeout: 15_000,
      interval: 50,
    });
    expect(await gateway.kill()).toBe(0);
  });
});
