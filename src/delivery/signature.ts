import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the backend verifies
 * `v1,base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))` with the same `whsec_` secret.
 * `webhook-id` names the delivery, not the attempt, so retries carry the same id.
 */
export function signatureHeaders(key: Buffer, id: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000).toString();
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

/** The key inside a `whsec_<base64>` secret, or undefined when the text is not one. */
export function parseWebhookSecret(secret: string): Buffer | undefined {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  if (!match) return undefined;
  const key = Buffer.from(match[1]!, 'base64');
  return key.length > 0 ? key : undefined;
}
