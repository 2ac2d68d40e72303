/**
 * The HTTP ceiling for the pay bench: Fastify with payrelay's logger and nothing else, answering
 * a QIWI pay with the same XML a recorded pay gets. What payrelay adds on top of it (parsing,
 * the request log, the database) is what the bench's ratio to this shows.
 */
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { RequestLogging } from '../../src/http/request-logging.js';
import { createLogger } from '../../src/log.js';
import { renderAnswer, Result } from '../../src/providers/qiwi/protocol.js';

// Logged as the gateway logs: one line per request (Fastify's own two lines cost a third more).
const app = Fastify({ loggerInstance: createLogger(false) as FastifyBaseLogger, logController: new RequestLogging() });
let prvTxn = 0;
app.get('/payment', async (request, reply) => {
  const query = request.query as Record<string, string | undefined>;
  const answer = renderAnswer({
    txnId: query.txn_id ?? '',
    prvTxn: String(++prvTxn),
    sum: query.sum,
    result: Result.ok,
    comment: 'OK',
  });
  return reply.type('text/xml; charset=utf-8').send(answer);
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stderr.write(`listening on ${address}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
