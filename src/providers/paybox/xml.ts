/**
 * A FreedomPay XML message (`<request>…</request>`, raw or in the form field `pg_xml`) into the
 * field tree: the root's children are the fields, an element with children nests, a leaf's text
 * is its value, exactly as XML 1.0 defines it (entities and character references resolved,
 * CDATA kept, line ends normalised), never trimmed. Attributes, comments and whitespace between
 * elements carry no field. A DOCTYPE (entity expansion), processing instructions, text mixed with
 * elements, characters XML forbids or an unclosed element refuse the message.
 */
import { type FieldNode, MAX_DEPTH, utf8Binary } from './tree.js';

export type XmlRead = { nodes: FieldNode[] } | { problem: string };

const ROOT = 'request';
const NAME = /[A-Za-z_:\u00C0-\uFFFF][-\w.:\u00B7\u00C0-\uFFFF]*/y;
const SPACE = /[ \t\n\r]*/y;
const ATTRIBUTE = /[ \t\n\r]+([A-Za-z_:\u00C0-\uFFFF][-\w.:\u00B7\u00C0-\uFFFF]*)[ \t\n\r]*=[ \t\n\r]*(?:"([^"<]*)"|'([^'<]*)')/y;
const DECLARATION = /^<\?xml[ \t\n\r][^?]*\?>/;
/** Characters XML 1.0 has no place for, and halves of surrogate pairs. */
const FORBIDDEN =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const REFERENCE = /&(?:#(\d{1,7})|#x([0-9A-Fa-f]{1,6})|(amp|lt|gt|quot|apos));/g;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The encoding an XML declaration names (lower-cased), if it has one. */
export function declaredEncoding(head: string): string | undefined {
  const declaration = DECLARATION.exec(head.replace(/^\uFEFF/, ''))?.[0];
  return declaration && /encoding[ \t\n\r]*=[ \t\n\r]*["']([A-Za-z][\w.-]*)["']/.exec(declaration)?.[1]?.toLowerCase();
}

/** Whether bytes look like an XML document: `<` first, after a byte-order mark and whitespace. */
export function looksLikeXml(body: Buffer): boolean {
  return /^(?:\uFEFF|\u00EF\u00BB\u00BF)?[ \t\n\r]*</.test(body.toString('latin1', 0, 64));
}

export function parseXml(source: string): XmlRead {
  if (FORBIDDEN.test(source)) return { problem: 'the XML has a character XML does not allow' };
  // XML reads every CR LF and lone CR as LF before anything else (a &#13; stays a CR).
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const parser = new Parser(text);
  try {
    parser.skipDeclaration();
    parser.skipMisc();
    const root = parser.element(0);
    parser.skipMisc();
    if (parser.at < text.length) return { problem: 'the XML has content after its root element' };
    if (root.name !== ROOT) return { problem: `the XML's root is not <${ROOT}>` };
    if (root.kind === 'leaf') return root.text.trim() === '' ? { nodes: [] } : { problem: `<${ROOT}> holds text, not fields` };
    return { nodes: root.children };
  } catch (error) {
    if (error instanceof XmlProblem) return { problem: error.message };
    throw error;
  }
}

class XmlProblem extends Error {}

class Parser {
  at = 0;
  constructor(private readonly text: string) {}

  private fail(problem: string): never {
    throw new XmlProblem(`the XML is malformed: ${problem}`);
  }

  private sticky(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.at;
    const match = pattern.exec(this.text);
    if (match) this.at = pattern.lastIndex;
    return match;
  }

  private startsWith(prefix: string): boolean {
    return this.text.startsWith(prefix, this.at);
  }

  skipDeclaration(): void {
    const declaration = DECLARATION.exec(this.text)?.[0];
    if (declaration) this.at = declaration.length;
  }

  /** Whitespace and comments around the root. */
  skipMisc(): void {
    for (;;) {
      this.sticky(SPACE);
      if (this.startsWith('<!--')) this.comment();
      else if (this.startsWith('<!')) this.fail('a DOCTYPE or another declaration');
      else if (this.startsWith('<?')) this.fail('a processing instruction');
      else return;
    }
  }

  private comment(): void {
    const end = this.text.indexOf('-->', this.at + 4);
    if (end < 0) this.fail('an unclosed comment');
    this.at = end + 3;
  }

  element(depth: number): FieldNode {
    if (depth > MAX_DEPTH) this.fail('elements nest too deep');
    if (!this.startsWith('<')) this.fail('an element was expected');
    this.at++;
    const name = this.sticky(NAME)?.[0] ?? this.fail('an element without a name');
    // Attributes carry no field; their text is only checked.
    for (let attribute = this.sticky(ATTRIBUTE); attribute; attribute = this.sticky(ATTRIBUTE)) {
      resolveReferences(attribute[2] ?? attribute[3] ?? '', this);
    }
    this.sticky(SPACE);
    const key = utf8Binary(name);
    if (this.startsWith('/>')) {
      this.at += 2;
      return { kind: 'leaf', name, key, text: '', signed: '' };
    }
    if (!this.startsWith('>')) this.fail(`<${name}> is not closed`);
    this.at++;
    const children: FieldNode[] = [];
    let content = '';
    for (;;) {
      if (this.at >= this.text.length) this.fail(`<${name}> has no end tag`);
      if (this.startsWith('</')) break;
      if (this.startsWith('<!--')) this.comment();
      else if (this.startsWith('<![CDATA[')) {
        const end = this.text.indexOf(']]>', this.at + 9);
        if (end < 0) this.fail('an unclosed CDATA section');
        content += this.text.slice(this.at + 9, end);
        this.at = end + 3;
      } else if (this.startsWith('<!') || this.startsWith('<?'))
        this.fail('a declaration or processing instruction inside an element');
      else if (this.startsWith('<')) children.push(this.element(depth + 1));
      else {
        const end = this.text.indexOf('<', this.at);
        content += resolveReferences(this.text.slice(this.at, end < 0 ? this.text.length : end), this);
        this.at = end < 0 ? this.text.length : end;
      }
    }
    this.at += 2;
    const closing = this.sticky(NAME)?.[0];
    if (closing !== name) this.fail(`<${name}> is closed by </${closing ?? ''}>`);
    this.sticky(SPACE);
    if (!this.startsWith('>')) this.fail(`</${name}> is not closed`);
    this.at++;
    if (children.length === 0) return { kind: 'leaf', name, key, text: content, signed: utf8Binary(content) };
    if (content.trim() !== '') this.fail(`<${name}> mixes text with elements`);
    return { kind: 'branch', name, key, children };
  }

  reject(problem: string): never {
    return this.fail(problem);
  }
}

/** Character data with its references resolved; a bare `&` or the `]]>` that ends CDATA is not XML. */
function resolveReferences(raw: string, parser: Parser): string {
  if (raw.includes(']]>')) parser.reject('"]]>" in text');
  if (!raw.includes('&')) return raw;
  if (raw.replace(REFERENCE, '').includes('&')) parser.reject('an "&" that starts no reference');
  return raw.replace(REFERENCE, (_, decimal?: string, hex?: string, entity?: string) => {
    if (entity) return ENTITIES[entity]!;
    const code = decimal ? Number(decimal) : Number.parseInt(hex!, 16);
    const char = code <= 0x10ffff ? String.fromCodePoint(code) : '';
    if (!char || FORBIDDEN.test(char)) parser.reject('a character reference to a character XML does not allow');
    return char;
  });
}
