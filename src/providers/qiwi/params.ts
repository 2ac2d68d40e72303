/**
 * The parameters of a QIWI request: the query string and, for a POST, the form body on top of it.
 * Values stay bytes until asked for, then are read strictly in the message's charset: a value is
 * taken exactly as sent or refused, never trimmed, stripped or half-decoded.
 */
import { decodeBytes, formNamedPairs } from '../../http/form.js';
import type { IncomingMessage } from '../types.js';

export type Value = { text: string } | { problem: 'absent' | 'twice' | 'encoding' };

export class QiwiParams {
  private readonly values = new Map<string, Buffer[]>();

  constructor(
    message: IncomingMessage,
    private readonly charset = message.charset,
  ) {
    this.add(message.query);
    if (message.method === 'POST') this.add(message.body);
  }

  /** Names are ASCII words: a stray byte makes an unknown name, which is ignored. */
  private add(source: Buffer): void {
    for (const [name, value] of formNamedPairs(source)) {
      const copies = this.values.get(name);
      if (copies) copies.push(value);
      else this.values.set(name, [value]);
    }
  }

  /** A parameter's value; the same name twice with different values is ambiguous, so refused. */
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
