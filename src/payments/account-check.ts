import type { FastifyBaseLogger } from 'fastify';
import { callBackend, failureReason } from '../http/client.js';

/** What the merchant's backend said about an account. */
export type AccountCheck = 'exists' | 'missing' | 'unavailable';

export interface AccountCheckRequest {
  url: URL;
  timeoutMs: number;
  account: string;
  /** Extra facts the backend may use (sum, txn_id, ...); undefined ones are left out. */
  details?: Record<string, string | undefined>;
}

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
    const response = await callBackend(url, { method: 'GET', timeoutMs: request.timeoutMs });
    log.debug({ status: response.status }, 'account check answered');
    if (response.status === 200) return 'exists';
    if (response.status >= 400 && response.status < 500) return 'missing';
    log.warn({ status: response.status }, 'account check: backend answered with an unusable status');
  } catch (error) {
    log.warn({ reason: failureReason(error) }, 'account check: backend unreachable');
  }
  return 'unavailable';
}
