import { callBackend, failureReason } from '../http/client.js';

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
    const response = await callBackend(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      timeoutMs,
      maxBodyChars: MAX_RESPONSE_CHARS,
    });
    const retryAfter = response.headers['retry-after'];
    return {
      status: response.status,
      responseBody: response.body,
      durationMs: elapsed(),
      retryAfterMs: parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : undefined),
    };
  } catch (error) {
    return { error: failureReason(error), durationMs: elapsed() };
  }
}

/** Retry-After as seconds or as an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
