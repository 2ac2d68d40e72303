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
import { createHash, timingSafeEqual } from 'node:crypto';
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
  if (!nested) return leaves.sort((a, b) => byKey(a.key, b.key)).map((leaf) => leaf.signed);
  const flat: [string, string][] = [];
  flatten(nodes, '', flat, new Set());
  return flat.sort(([a], [b]) => byKey(a, b)).map(([, value]) => value);
}

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
  return createHash('md5').update(signed, 'latin1').update(secret, 'utf8').digest('hex');
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
