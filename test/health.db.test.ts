/** /healthz as a load balancer sees it: 200 while the database answers, 503 when it does not. */
import { expect, it, onTestFinished } from 'vitest';
import { freshDatabase } from './helpers/engine.js';
import { startTestGateway } from './helpers/gateway.js';

it('answers 200 while the database answers and 503 once it does not', async () => {
  const database = await freshDatabase();
  const gateway = await startTestGateway({ HTTP_AUTH_USERNAME: 'u', HTTP_AUTH_PASSWORD: 'p' }, database);
  onTestFinished(() => gateway.app.close()); // the database is closed by the test itself
  const healthy = await gateway.app.inject('/healthz');
  expect(healthy.statusCode).toBe(200);
  expect(healthy.json()).toEqual({ status: 'ok' });

  await gateway.db.close();
  const down = await gateway.app.inject('/healthz');
  expect(down.statusCode).toBe(503);
  expect(down.headers['content-type']).toMatch(/^application\/json/);
  expect(down.json()).toEqual({ status: 'unavailable', reason: 'database does not answer' });
  // A pay meanwhile is a temporary error for the network, not an HTTP failure.
  const pay = await gateway.app.inject({
    url: '/payment?command=pay&txn_id=1&account=2&sum=3',
    headers: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` },
  });
  expect(pay.statusCode).toBe(200);
  expect(pay.body).toContain('<result>1</result>');
});
