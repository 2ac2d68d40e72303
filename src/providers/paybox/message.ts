/**
 * What a FreedomPay call carries, whatever its format: the fields of a GET's query or a POST's
 * body (a form, multipart/form-data, a form whose one field `pg_xml` holds `<request>…</request>`,
 * or a raw XML body), as one tree (./tree.ts), read strictly. A POST's query string is not part
 * of the message: FreedomPay signs one or the other.
 */
import { jsonParam } from '../../db/json-param.js';
import { charsetOf } from '../../http/raw-body.js';
import { decodeBytes } from '../../http/form.js';
import type { IncomingMessage } from '../types.js';
import { buildTree, formFields, type RawField } from './form.js';
import { boundaryOf, multipartFields } from './multipart.js';
import { SIGNATURE } from './signature.js';
import type { FieldNode, Leaf } from './tree.js';
import { declaredEncoding, looksLikeXml, parseXml } from './xml.js';

export type Format = 'query' | 'form' | 'multipart' | 'pg_xml' | 'xml';

export type Value = { text: string } | { problem: 'absent' | 'twice' | 'nested' };

export const XML_FIELD = 'pg_xml';

export class Fields {
  /** Each top-level name's first field, and every copy of a name that came more than once (XML may repeat an element). */
  private readonly top = new Map<string, FieldNode>();
  private readonly repeated = new Map<string, FieldNode[]>();
  /** Every field a value of its own name: the message FreedomPay sends, whose payload is written directly. */
  private readonly flat: boolean;

  constructor(
    readonly nodes: FieldNode[],
    readonly format: Format,
  ) {
    let flat = true;
    for (const node of nodes) {
      flat &&= node.kind === 'leaf';
      const first = this.top.get(node.name);
      if (!first) {
        this.top.set(node.name, node);
        continue;
      }
      const copies = this.repeated.get(node.name);
      if (copies) copies.push(node);
      else this.repeated.set(node.name, [first, node]);
    }
    this.flat = flat && this.repeated.size === 0;
  }

  /** A top-level field's text; twice only when its copies differ. */
  get(name: string): Value {
    const first = this.top.get(name);
    if (!first) return { problem: 'absent' };
    const copies = this.repeated.get(name) ?? [];
    if (first.kind !== 'leaf' || copies.some((node) => node.kind !== 'leaf')) return { problem: 'nested' };
    if (copies.some((node) => (node as Leaf).signed !== first.signed)) return { problem: 'twice' };
    return { text: first.text };
  }

  /** The text of a field when it is there as one value, else undefined. */
  text(name: string): string | undefined {
    const value = this.get(name);
    return 'text' in value ? value.text : undefined;
  }

  /** Every field but the signature, as JSON: a group is an object, a name an element repeats an array. */
  payload(): Record<string, unknown> {
    return toObject(this.nodes.filter((node) => node.name !== SIGNATURE));
  }

  /**
   * The payload as JSON text, for a jsonb column. A flat message's is written field by field: a
   * paid result's object and its JSON.stringify cost more than its signature. Only the order of
   * its keys can differ from the object's, and jsonb keeps no order.
   */
  payloadJson(): string {
    if (!this.flat) return jsonParam(this.payload());
    let json = '';
    for (const node of this.nodes as Leaf[]) {
      if (node.name !== SIGNATURE) json += `${json ? ',' : '{'}${quoted(node.name)}:${quoted(node.text)}`;
    }
    return json ? `${json}}` : '{}';
  }
}

/**
 * A string as JSON: in quotes when nothing in it needs an escape (most values), else as
 * JSON.stringify writes it. Text read from a message never holds half a surrogate pair (the
 * charsets are read strictly, and XML refuses a reference to one), which JSON would escape.
 */
const quoted = (text: string) => (NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`);
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

function toObject(nodes: readonly FieldNode[]): Record<string, unknown> {
  // A field named __proto__ is a field like any other.
  const object: Record<string, unknown> = Object.create(null);
  for (const node of nodes) {
    const value = node.kind === 'leaf' ? node.text : toObject(node.children);
    // A value is text or an object: an array is only ever a repeated name's.
    const kept = object[node.name];
    if (!Object.hasOwn(object, node.name)) object[node.name] = value;
    else if (Array.isArray(kept)) kept.push(value);
    else object[node.name] = [kept, value];
  }
  return object;
}

export type Read = { fields: Fields } | { problem: string };

export function readFields(message: IncomingMessage): Read {
  if (message.method !== 'POST') return fromForm(formFields(message.query), message.charset, 'query');
  const type = message.contentType.toLowerCase();
  const mime = type.split(';', 1)[0]!.trim();
  if (mime === 'multipart/form-data') {
    const boundary = boundaryOf(message.contentType);
    if (!boundary) return { problem: 'the multipart Content-Type names no boundary' };
    const parts = multipartFields(message.body, boundary);
    return 'problem' in parts ? parts : fromForm(parts.fields, message.charset, 'multipart');
  }
  if (/[/+]xml$/.test(mime) || (mime !== 'application/x-www-form-urlencoded' && looksLikeXml(message.body))) {
    return fromXmlBytes(message);
  }
  return fromForm(formFields(message.body), message.charset, 'form');
}

function fromForm(raw: RawField[], charset: string, format: Format): Read {
  const tree = buildTree(raw, charset);
  if ('problem' in tree) return tree;
  const { nodes } = tree.level;
  const xml = nodes.find((node) => node.name === XML_FIELD);
  if (!xml) return { fields: new Fields(nodes, format) };
  if (nodes.length > 1 || xml.kind !== 'leaf') return { problem: `${XML_FIELD} must be the only field` };
  return fromXml(xml.text, 'pg_xml');
}

/** A raw XML body: in the Content-Type's charset, else the declaration's, else UTF-8. */
function fromXmlBytes(message: IncomingMessage): Read {
  const charset = charsetOf(message.contentType) ?? declaredEncoding(message.body.toString('latin1', 0, 256)) ?? 'utf-8';
  const text = decodeBytes(message.body, charset, true);
  if (text === undefined) return { problem: `the XML is not readable as ${charset}` };
  return fromXml(text, 'xml');
}

function fromXml(text: string, format: Format): Read {
  const parsed = parseXml(text);
  return 'problem' in parsed ? parsed : { fields: new Fields(parsed.nodes, format) };
}
