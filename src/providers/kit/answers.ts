import type { NotificationOutcome } from '../../metrics/counters.js';
import type { Answer } from '../types.js';

/**
 * The intake's Answer for the two shapes networks expect back: an XML document or a JSON
 * object. The protocol renders its own body and says
 * what the request was and how it went; these fix the content type and the metrics' spelling.
 */

/** What an answer tells the intake besides its body. */
export interface AnswerMeta {
  /** The HTTP status; the intake's default (200) when unsaid. */
  status?: number;
  /** The request's type as the network spells it (`check`, `Pay`): the metrics count it lower-cased. */
  type?: string;
  /** How it went, for the metrics (`accepted` when unsaid). */
  outcome?: NotificationOutcome;
}

export const XML_CONTENT_TYPE = 'text/xml; charset=utf-8';
export const JSON_CONTENT_TYPE = 'application/json';

/** An XML document the protocol rendered (its values through escapeXml). */
export function answerXml(body: string, meta: AnswerMeta = {}): Answer {
  return withMeta(XML_CONTENT_TYPE, body, meta);
}

/** A JSON answer: `value` as JSON.stringify writes it (`{"code":0}`). */
export function answerJson(value: unknown, meta: AnswerMeta = {}): Answer {
  return withMeta(JSON_CONTENT_TYPE, JSON.stringify(value), meta);
}

function withMeta(contentType: string, body: string, { status, type, outcome }: AnswerMeta): Answer {
  return { status, contentType, body, type: type?.toLowerCase(), outcome };
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Anything escapeXml changes: markup, characters XML cannot carry, and any surrogate (paired or not). */
const NEEDS_ESCAPING = /[&<>"'\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** Text for an XML 1.0 element or a quoted attribute: markup escaped, whatever XML cannot carry dropped or mended. */
export function escapeXml(text: string): string {
  // Ids, sums and "OK" have nothing to escape: most answers skip the replacing below.
  if (!NEEDS_ESCAPING.test(text)) return text;
  // Characters XML 1.0 cannot carry at all are dropped rather than sent as a broken document;
  // a lone surrogate becomes U+FFFD.
  const clean = text.toWellFormed().replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');
  return clean.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!);
}
