/**
 * FreedomPay's signature: `md5(script;v1;…;vn;secret)` in lower-case hex, where `script` is the
 * last segment of the path that was called and v1…vn the values of every field but `pg_sig`,
 * ordered by name in byte order. A message with nested fields is flattened first, as the
 * reference PHP helper does: each leaf is named by its parent's flat name, its own name and its
 * 1-based position among its siblings in three digits (`pg_z_param005pg_m_subparam002`), and the
 * flat names are sorted. For a flat message that is a plain sort by name, stable, so a name that
 * repeats (XML allows it) keeps its values in the order they came.
 *
 * Everything is signed as the bytes it came as: names and values are binary strings (./tree.ts).
 */
import { hash, timingSafeEqual } from 'node:crypto';
import { type FieldNode, type Leaf, utf8Binary } from './tree.js';

export const SIGNATURE = 'pg_sig';

/** The script name of a request URL as sent: its path's last segment, empty when the path ends in `/`. */
export function scriptName(url: string): string {
  const path = url.split('?', 1)[0]!.split('#', 1)[0]!;
  return path.slice(path.lastIndexOf('/') + 1);
}

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The values the signature joins, in its order. */
export function signedValues(nodes: readonly FieldNode[]): string[] {
  let nested = false;
  const leaves: Leaf[] = [];
  for (const node of nodes) {
    if (node.kind === 'branch') nested = true;
    else if (node.name !== SIGNATURE) leaves.push(node);
  }
  if (!nested) return orderOf(leaves).map((index) => leaves[index]!.signed);
  const flat: [string, string][] = [];
  flatten(nodes, '', flat, new Set());
  return flat.sort(([a], [b]) => byKey(a, b)).map(([, value]) => value);
}

/**
 * The leaves' positions in the order of their keys (a stable sort). A network sends its calls
 * with the same names in the same order each time, and sorting two dozen of them cost more than
 * the MD5: each sequence of names is sorted once. The keys are binary strings, so U+0100 joins
 * them unambiguously.
 */
function orderOf(leaves: readonly Leaf[]): number[] {
  const names = leaves.map((leaf) => leaf.key).join('\u0100');
  let order = orders.get(names);
  if (order === undefined) {
    order = leaves.map((_, index) => index).sort((a, b) => byKey(leaves[a]!.key, leaves[b]!.key));
    // Any caller's message is sorted before its signature is known: only so many, so short, are kept.
    if (orders.size < MAX_ORDERS && names.length <= MAX_NAMES) orders.set(names, order);
  }
  return order;
}

const orders = new Map<string, number[]>();
const MAX_ORDERS = 256;
const MAX_NAMES = 2048;

/** PHP's flattening: positions count every sibling, `pg_sig` too, which is left out at any depth; the first of two equal flat names wins. */
function flatten(nodes: readonly FieldNode[], parent: string, into: [string, string][], taken: Set<string>): void {
  nodes.forEach((node, index) => {
    if (node.name === SIGNATURE) return;
    const name = `${parent}${node.key}${String(index + 1).padStart(3, '0')}`;
    if (node.kind === 'branch') flatten(node.children, name, into, taken);
    else if (!taken.has(name)) {
      taken.add(name);
      into.push([name, node.signed]);
    }
  });
}

/** The signature of these fields for `script` (its bytes as sent: a binary string). */
export function signatureOf(script: string, nodes: readonly FieldNode[], secret: string): string {
  // One string, one update: every value is a binary string already.
  const values = signedValues(nodes);
  const signed = values.length === 0 ? `${script};` : `${script};${values.join(';')};`;
  return md5(signed, secret);
}

/**
 * MD5 in lower-case hex of a binary string's bytes followed by the secret's UTF-8, in one call:
 * a Hash object per signature, two per call with its answer, cost more than the digests.
 */
export function md5(binary: string, secret: string): string {
  return hash('md5', Buffer.from(binary + utf8Binary(secret), 'latin1'), 'hex');
}

/** Whether `given` is the signature, compared in constant time (the length of an MD5 is public). */
export function signatureMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Text fields, as the page and the simulator sign them: UTF-8, flat. */
export function signText(script: string, fields: Readonly<Record<string, string>>, secret: string): string {
  const nodes: Leaf[] = Object.entries(fields).map(([name, text]) => ({
    kind: 'leaf',
    name,
    key: utf8Binary(name),
    text,
    signed: utf8Binary(text),
  }));
  return signatureOf(utf8Binary(script), nodes, secret);
}
