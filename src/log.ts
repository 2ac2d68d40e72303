import pino, { type Logger } from 'pino';

/** JSON lines on stdout; DEBUG=true adds debug-level detail. */
export function createLogger(debug: boolean): Logger {
  return pino({
    level: debug ? 'debug' : 'info',
    base: { service: 'payrelay' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '***' },
  });
}
