export interface AttemptResult {
  status?: number;
  responseBody?: string;
  error?: string;
  durationMs: number;
  /** The backend's Retry-After, in milliseconds, when it sent one. */
  retryAfterMs?: number;
}

const MAX_RESPONSE_CHARS = 2000;

/**
 * One POST of a webhook. Never throws: a timeout or a refused connection is an outcome like a
 * 500. Redirects are not followed (a 3xx is not an acceptance), and only the start of the
 * response body is kept.
 */
export async function postWebhook(
  url: URL,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'payrelay', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const responseBody = await readStart(response, MAX_RESPONSE_CHARS);
    return {
      status: response.status,
      responseBody,
      durationMs: elapsed(),
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    };
  } catch (error) {
    return { error: describe(error), durationMs: elapsed() };
  }
}

async function readStart(response: Response, maxChars: number): Promise<string> {
  if (!response.body) return '';
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of response.body) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length >= maxChars) break;
    }
  } catch {
    // A body cut off half way still tells what we got of it.
  }
  return text.slice(0, maxChars);
}

/** Retry-After as seconds or as an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timeout';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
