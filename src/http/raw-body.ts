import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body exactly as received; signatures are computed over these bytes. */
    rawBody?: Buffer;
  }
}

/**
 * Providers send form bodies, JSON and whatever else a cabinet is set to: every body is taken
 * as bytes and parsed by the provider itself, so nothing is refused by a generic parser and the
 * raw bytes stay available for signature checks.
 */
export function acceptRawBodies(scope: FastifyInstance, bodyLimit: number): void {
  scope.removeAllContentTypeParsers();
  // Every type, as `*` would take it; but Fastify caches the parser it finds by an expression for
  // each Content-Type, where `*` is looked up anew, parsing the header again, on every request.
  scope.addContentTypeParser(/^/, { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    request.rawBody = body as Buffer;
    done(null, body);
  });
}

/** The charset named by a Content-Type header, if any (lower-cased). */
export function charsetOf(contentType: string | undefined): string | undefined {
  return /charset\s*=\s*"?([\w-]+)"?/i.exec(contentType ?? '')?.[1]?.toLowerCase();
}

/** Bytes to text in the given charset; an unknown charset falls back to UTF-8. */
export function decodeText(bytes: Buffer, charset = 'utf-8'): string {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}
