import pino, { type Logger } from 'pino';

/** Lines are written together once this much is waiting, or after FLUSH_MS at the latest. */
const BUFFER_BYTES = 8 * 1024;
const FLUSH_MS = 100;

/**
 * JSON lines on stdout; DEBUG=true adds debug-level detail. Lines are buffered and written
 * together, 8 KiB at a time or every 100 ms: a busy gateway makes one write for a hundred
 * lines instead of one write per line (a tenth of its work at thousands of pays a second).
 * pino writes what is left when the process exits; only a SIGKILL loses the last 100 ms of
 * lines, never a payment (those are in the database before they are answered).
 */
export function createLogger(debug: boolean): Logger {
  const destination = pino.destination({ dest: 1, sync: false, minLength: BUFFER_BYTES });
  const flush = setInterval(() => destination.flush(), FLUSH_MS).unref();
  destination.on('close', () => clearInterval(flush));
  return pino(
    {
      level: debug ? 'debug' : 'info',
      base: { service: 'payrelay' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '***' },
    },
    destination,
  );
}
