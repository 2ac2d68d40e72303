/**
 * The `key=value&...` parameters of a request: the query string and, for a POST, the form body
 * merged with it, as OSMP-style networks send them. Values stay bytes until asked for, then are
 * read strictly in the message's charset: a value is taken exactly as sent or refused, never
 * trimmed, stripped or half-decoded.
 */
import { decodeBytes, formNamedPairs } from '../../http/form.js';
import type { IncomingMessage } from '../types.js';

/** A value as sent, or why there is none to take: absent, sent twice differently, or bytes the charset cannot read. */
export type Value = { text: string } | { problem: 'absent' | 'twice' | 'encoding' };

export class FormParams {
  private readonly values = new Map<string, Buffer[]>();

  constructor(
    query: Buffer,
    body: Buffer | undefined,
    private readonly charset: string,
  ) {
    this.add(query);
    if (body) this.add(body);
  }

  /** The message's query, and its body when it is a POST. */
  static of(message: IncomingMessage, charset = message.charset): FormParams {
    return new FormParams(message.query, message.method === 'POST' ? message.body : undefined, charset);
  }

  /** Names are ASCII words: a name with a stray byte is another name, never read. */
  private add(source: Buffer): void {
    for (const [name, value] of formNamedPairs(source)) {
      const copies = this.values.get(name);
      if (copies) copies.push(value);
      else this.values.set(name, [value]);
    }
  }

  /** A parameter's value; one name given twice with different values is ambiguous, so refused. */
  get(name: string): Value {
    const copies = this.values.get(name);
    if (!copies) return { problem: 'absent' };
    if (copies.some((copy) => !copy.equals(copies[0]!))) return { problem: 'twice' };
    const text = decodeBytes(copies[0]!, this.charset, true);
    return text === undefined ? { problem: 'encoding' } : { text };
  }

  /** The value as best it can be read, for echoing back in a refusal. */
  echo(name: string): string {
    const first = this.values.get(name)?.[0];
    return first ? (decodeBytes(first, this.charset) ?? '') : '';
  }
}
