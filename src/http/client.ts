import { request } from 'undici';

export interface OutgoingRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** How much of the response body to keep; the rest is not read. */
  maxBodyChars?: number;
}

export interface IncomingResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request to a merchant's backend. undici's request() rather than fetch(): it follows
 * no redirects and does not refuse the ports fetch() blocks (6000, 6666, ...), which a backend
 * may well listen on. The timeout covers the whole exchange, body included.
 */
export async function callBackend(url: URL, outgoing: OutgoingRequest): Promise<IncomingResponse> {
  const signal = AbortSignal.timeout(outgoing.timeoutMs);
  const { target, authorization } = splitCredentials(url);
  const response = await request(target, {
    method: outgoing.method,
    headers: { 'user-agent': 'payrelay', ...authorization, ...outgoing.headers },
    body: outgoing.body,
    signal,
  });
  const body = await readStart(response.body, outgoing.maxBodyChars ?? 0);
  return { status: response.statusCode, headers: response.headers, body };
}

/**
 * A URL's `user:password@` as a Basic Authorization header: undici would silently drop them,
 * and a merchant who writes them into a webhook URL means them to be sent.
 */
function splitCredentials(url: URL): { target: URL; authorization?: { authorization: string } } {
  if (!url.username && !url.password) return { target: url };
  const target = new URL(url);
  target.username = '';
  target.password = '';
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return { target, authorization: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` } };
}

type Body = AsyncIterable<Buffer> & { destroy(): void; on(event: 'error', listener: () => void): void };

async function readStart(stream: Body, maxChars: number): Promise<string> {
  // Dropping the rest of a body makes undici emit an abort error: it is expected, not a crash.
  stream.on('error', () => undefined);
  if (maxChars === 0) {
    stream.destroy();
    return '';
  }
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length >= maxChars) break;
    }
  } catch {
    // A body cut off half way still tells what we got of it.
  } finally {
    stream.destroy();
  }
  return text.slice(0, maxChars);
}

/** A short, log-friendly reason for a failed request: "timeout", "ECONNREFUSED", ... */
export function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timeout';
  return (error as { code?: string }).code ?? error.message;
}
