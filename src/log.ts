import pino, { type DestinationStream, type Logger } from 'pino';

/** Lines are written together once this much is waiting, or after FLUSH_MS at the latest. */
const BUFFER_CHARS = 8 * 1024;
const FLUSH_MS = 100;

/**
 * JSON lines on stdout; DEBUG=true adds debug-level detail. Lines are buffered and written
 * together, 8 KiB at a time or every 100 ms: a busy gateway makes one write for a hundred
 * lines instead of one write per line, which was much of its work under load (decision 011).
 * What is left is written when the process exits; only a SIGKILL loses the last 100 ms of
 * lines, never a payment (those are in the database before they are answered).
 */
export function createLogger(debug: boolean): Logger {
  return pino(
    {
      level: debug ? 'debug' : 'info',
      base: { service: 'payrelay' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '***' },
    },
    new Lines(pino.destination({ dest: 1, sync: false })),
  );
}

type Destination = ReturnType<typeof pino.destination>;

/** Every logger's lines, written out at exit: one listener for all (tests make many loggers). */
const unflushed = new Set<Lines>();
process.on('exit', () => {
  for (const lines of unflushed) lines.flushSync();
});

/**
 * Collects lines and hands them to the destination joined. sonic-boom's own buffering measures
 * the UTF-8 length of everything waiting on each write, which made a line cost several times
 * more with 8 KiB waiting (decision 013).
 */
class Lines implements DestinationStream {
  private waiting: string[] = [];
  private chars = 0;
  private closed = false;

  constructor(private readonly destination: Destination) {
    const timer = setInterval(() => this.flush(), FLUSH_MS).unref();
    unflushed.add(this);
    destination.on('close', () => {
      this.closed = true;
      clearInterval(timer);
      unflushed.delete(this);
    });
  }

  write(line: string): void {
    this.waiting.push(line);
    this.chars += line.length;
    if (this.chars >= BUFFER_CHARS) this.flush();
  }

  flush(): void {
    if (this.waiting.length === 0 || this.closed) return;
    this.destination.write(this.waiting.join(''));
    this.waiting = [];
    this.chars = 0;
  }

  /** At exit there is no event loop left to write with: everything goes out now. */
  flushSync(): void {
    this.flush();
    if (!this.closed) this.destination.flushSync();
  }
}
