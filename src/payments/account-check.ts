import type { FastifyBaseLogger } from 'fastify';
import { callBackend, failureReason } from '../http/client.js';

/**
 * What the merchant's backend said about an account; for an account that exists, its answer
 * as JSON when it sent some (what a terminal may show, the code a card network should get).
 */
export type AccountCheck =
  | { outcome: 'exists'; body?: unknown }
  /** `status` is the backend's 4xx, for a protocol whose network tells them apart (gone, already paid). */
  | { outcome: 'missing'; status: number }
  | { outcome: 'unavailable' };

export interface AccountCheckRequest {
  url: URL;
  timeoutMs: number;
  account: string;
  /** Extra facts the backend may use (sum, txn_id, ...); undefined ones are left out. */
  details?: Record<string, string | undefined>;
}

/** More than this is no answer a check needs: the rest is not read, and the answer is not JSON. */
const MAX_ANSWER_CHARS = 64 * 1024;

/**
 * `GET <url>?account=...`: 200 means the account exists, a 4xx that it does not, anything else
 * (a 5xx, a redirect, a timeout, a refused connection) that the backend cannot say right now.
 */
export async function checkAccount(request: AccountCheckRequest, log: FastifyBaseLogger): Promise<AccountCheck> {
  const url = new URL(request.url);
  url.searchParams.set('account', request.account);
  for (const [name, value] of Object.entries(request.details ?? {})) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  try {
    const response = await callBackend(url, { method: 'GET', timeoutMs: request.timeoutMs, maxBodyChars: MAX_ANSWER_CHARS + 1 });
    log.debug({ status: response.status }, 'account check answered');
    if (response.status === 200) return { outcome: 'exists', body: parseJson(response.body) };
    if (response.status >= 400 && response.status < 500) return { outcome: 'missing', status: response.status };
    log.warn({ status: response.status }, 'account check: backend answered with an unusable status');
  } catch (error) {
    log.warn({ reason: failureReason(error) }, 'account check: backend unreachable');
  }
  return { outcome: 'unavailable' };
}

/** "Any content" means the account exists: an answer that is not JSON is simply no JSON. */
function parseJson(text: string): unknown {
  if (!text || text.length > MAX_ANSWER_CHARS) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
