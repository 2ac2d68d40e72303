import type { FastifyRequest } from 'fastify';
import { sameSecret } from './bearer.js';

export interface Credentials {
  username: string;
  password: string;
}

/**
 * Whether the request carries these Basic credentials. Both sides are hashed before the
 * constant-time comparison, so neither the length nor the content of the secret leaks.
 */
export function hasBasicAuth(request: FastifyRequest, expected: Credentials): boolean {
  const header = request.headers.authorization ?? '';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  const given = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
  return sameSecret(given, `${expected.username}:${expected.password}`);
}

export const BASIC_CHALLENGE = 'Basic realm="payrelay", charset="UTF-8"';
