/**
 * A FreedomPay message as a tree of named fields, in the order they came: a form's `a[b][c]`
 * names and an XML document's children both nest. Every name and value is kept twice: as text
 * (read strictly in the message's charset) and as the exact bytes it was signed over, held in a
 * "binary" string (one character per byte, latin1), so that signing never re-encodes anything.
 */

export interface Leaf {
  kind: 'leaf';
  name: string;
  /** The name's bytes (binary string): what the signature sorts by. */
  key: string;
  text: string;
  /** The value's bytes (binary string): what the signature joins. */
  signed: string;
}

export interface Branch {
  kind: 'branch';
  name: string;
  key: string;
  children: FieldNode[];
}

export type FieldNode = Leaf | Branch;

/** How far a message may nest: FreedomPay's own fields are flat, a merchant's come back one or two deep. */
export const MAX_DEPTH = 16;

/** A binary string's bytes as UTF-8-encoded text would have them. */
export function utf8Binary(text: string): string {
  return isAsciiText(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

const NON_ASCII = /[^\x00-\x7f]/;
const INDEX = /^(?:0|[1-9]\d{0,15})$/;
export const isAsciiText = (text: string) => !NON_ASCII.test(text);

/**
 * One level of a form's fields as PHP builds its arrays: by name, in the order a name first
 * appears; `a[]` appends at the next integer index. The same leaf twice with the same bytes is
 * one field; with other bytes, or a name that is both a value and a group, it is refused: two
 * readers could take different copies.
 */
export class Level {
  readonly nodes: FieldNode[] = [];
  private readonly byKey = new Map<string, FieldNode>();
  /** The levels of this one's groups, by key: made with the first group. */
  private groups?: Map<string, Level>;
  private nextIndex = 0;

  /**
   * A value (its text, and its bytes as signed) under a name's segments, as text (`names`) and as
   * bytes (`keys`); the empty key of `a[]` is the next index.
   */
  insert(names: readonly string[], keys: readonly string[], text: string, signed: string): string | undefined {
    let level: Level = this;
    for (let i = 0; ; i++) {
      let name = names[i]!;
      let key = keys[i]!;
      if (i > 0 && key === '') {
        name = key = String(level.nextIndex);
      }
      level.noteIndex(key);
      if (i === keys.length - 1) return level.put(name, key, text, signed);
      const existing = level.byKey.get(key);
      if (!existing) level = level.group(name, key);
      else if (existing.kind !== 'branch') return `${name} is both a value and a group`;
      else level = level.groups!.get(key)!;
    }
  }

  /** A value under a name of this level (a top-level name is never an index that `a[]` counts). */
  put(name: string, key: string, text: string, signed: string): string | undefined {
    const existing = this.byKey.get(key);
    if (!existing) {
      const leaf: Leaf = { kind: 'leaf', name, key, text, signed };
      this.nodes.push(leaf);
      this.byKey.set(key, leaf);
      return undefined;
    }
    if (existing.kind !== 'leaf') return `${name} is both a value and a group`;
    return existing.signed === signed ? undefined : `${name} is given twice with different values`;
  }

  private group(name: string, key: string): Level {
    const inner = new Level();
    const branch: Branch = { kind: 'branch', name, key, children: inner.nodes };
    this.nodes.push(branch);
    this.byKey.set(key, branch);
    this.groups ??= new Map();
    this.groups.set(key, inner);
    return inner;
  }

  /** PHP appends after the highest integer key a level has. */
  private noteIndex(key: string): void {
    const first = key.charCodeAt(0);
    if (first >= 0x30 && first <= 0x39 && INDEX.test(key)) this.nextIndex = Math.max(this.nextIndex, Number(key) + 1);
  }
}
