/**
 * Every link in the README, CONTRIBUTING.md, CHANGELOG.md and docs/ leads somewhere: a relative
 * link to a file or folder of this repository that exists, an `#anchor` to a heading of its
 * target (GitHub's slugs), and an external link that is at least a well-formed http(s) URL (no
 * network here). A page moved or a heading renamed fails here, not in a reader's browser.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../', import.meta.url).pathname;

/** A repository seen through two functions, so that the checker can be tried on pages of its own. */
interface Files {
  /** The text of a file (a path relative to the root), or undefined when there is none. */
  read(path: string): string | undefined;
  /** Whether a file or folder is there. */
  exists(path: string): boolean;
}

/** The text outside fenced code blocks and HTML comments, each line kept in its place. */
function prose(text: string): string[] {
  const lines = text.replace(/<!--[\s\S]*?-->/g, (comment) => comment.replace(/[^\n]/g, ' ')).split('\n');
  let fence: string | undefined;
  return lines.map((line) => {
    const opening = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === undefined && opening) {
      fence = opening[1]!;
      return '';
    }
    if (fence !== undefined) {
      if (new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(line)) fence = undefined;
      return '';
    }
    return line;
  });
}

/** A line with its code spans blanked (a `[a](b)` inside one is not a link). */
const withoutCode = (line: string) => line.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (span) => ' '.repeat(span.length));

/** The text a heading shows: no code marks, emphasis, links' targets or HTML tags. */
function headingText(source: string): string {
  return source
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '')
    .replace(/\*/g, '')
    .trim();
}

/** GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
function slug(heading: string): string {
  return headingText(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a page has: its headings' slugs (a repeated one gets `-1`, `-2`...) and `<a id>`s. */
function anchors(text: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  const add = (heading: string) => {
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.add(count === 0 ? base : `${base}-${count}`);
  };
  const lines = prose(text);
  lines.forEach((line, index) => {
    const atx = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (atx) add(atx[1]!);
    else if (/^ {0,3}(=+|-+)[ \t]*$/.test(line) && index > 0) {
      const above = lines[index - 1]!;
      const setext = /^ {0,3}[-=]+[ \t]*$/.test(lines[index - 2] ?? '');
      if (above.trim() && !/^ {0,3}([-*+]|\d+[.)]|>|#|\|)/.test(above) && !setext) add(above);
    }
    for (const [, id] of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) found.add(id!);
  });
  return found;
}

/** Every link target of a page, with its line: inline links and images, definitions, autolinks. */
function links(text: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  prose(text).forEach((raw, index) => {
    const line = withoutCode(raw);
    for (const [, target] of line.matchAll(/\]\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?(?:\s+"[^"]*")?\s*\)/g))
      found.push({ line: index + 1, target: target! });
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(line);
    if (definition) found.push({ line: index + 1, target: definition[1]! });
    for (const [, target] of line.matchAll(/<((?:https?|mailto):[^\s<>]*)>/g)) found.push({ line: index + 1, target: target! });
  });
  return found;
}

/** What is wrong with one link of `page` (a path from the root), or undefined when it leads somewhere. */
function brokenLink(page: string, target: string, files: Files): string | undefined {
  if (target === '') return 'an empty link';
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    try {
      const url = new URL(target);
      return url.hostname.includes('.') || url.hostname === 'localhost' ? undefined : `no host in ${target}`;
    } catch {
      return `not a URL: ${target}`;
    }
  }
  if (scheme === 'mailto') return /^mailto:[^@\s]+@[^@\s]+$/i.test(target) ? undefined : `not an address: ${target}`;
  if (scheme !== undefined) return `a link this check does not know (${scheme}:)`;
  if (target.startsWith('/')) return 'an absolute path: GitHub reads it from the host, not the repository';

  const hash = target.indexOf('#');
  const pathPart = hash === -1 ? target : target.slice(0, hash);
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  let path: string;
  try {
    path = pathPart === '' ? page : normalize(join(dirname(page), decodeURIComponent(pathPart))).replace(/[\\/]+$/, '');
  } catch {
    return `a malformed escape in ${pathPart}`;
  }
  if (path.startsWith(`..${sep}`) || path === '..') return `${pathPart} is outside the repository`;
  if (!files.exists(path)) return `${path} does not exist`;
  if (anchor === undefined) return undefined;
  if (anchor === '') return 'an empty anchor';
  const text = path.endsWith('.md') ? files.read(path) : undefined;
  if (text === undefined) return /^L\d+(-L\d+)?$/.test(anchor) ? undefined : `#${anchor} into ${path}, which has no headings`;
  return anchors(text).has(anchor) ? undefined : `${path} has no heading #${anchor}`;
}

/** The pages checked: the README, CONTRIBUTING.md, CHANGELOG.md and every page under docs/. */
function pages(): string[] {
  const under = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return under(path);
      return entry.name.endsWith('.md') ? [path] : [];
    });
  return ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', ...under('docs')];
}

const repository: Files = {
  read: (path) =>
    existsSync(join(ROOT, path)) && statSync(join(ROOT, path)).isFile() ? readFileSync(join(ROOT, path), 'utf8') : undefined,
  exists: (path) => existsSync(join(ROOT, path)),
};

/** Every broken link of the given pages, as `page:line: target: what is wrong`. */
function brokenLinks(names: string[], files: Files): string[] {
  return names.flatMap((page) =>
    links(files.read(page) ?? '').flatMap(({ line, target }) => {
      const wrong = brokenLink(page, target, files);
      return wrong === undefined ? [] : [`${page}:${line}: ${target}: ${wrong}`];
    }),
  );
}

describe('links in the README, CONTRIBUTING.md, CHANGELOG.md and docs/', () => {
  it('checks the pages it should: the three at the root and every page under docs/', () => {
    const names = pages();
    expect(names).toEqual(
      expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', join('docs', 'operations.md')]),
    );
    expect(names.filter((name) => name.startsWith(`docs${sep}providers${sep}`)).length).toBeGreaterThanOrEqual(5);
    expect(names.filter((name) => name.startsWith(`docs${sep}decisions${sep}`)).length).toBeGreaterThanOrEqual(21);
  });

  it('each leads to a file or folder that exists, and each #anchor to a heading of its target', () => {
    expect(brokenLinks(pages(), repository)).toEqual([]);
  });

  it('the README links every page under docs/ (decisions through their folder)', () => {
    const readme = links(repository.read('README.md')!).map(({ target }) => target.split('#')[0]);
    const missing = pages()
      .filter((page) => page.startsWith(`docs${sep}`) && !page.startsWith(`docs${sep}decisions${sep}`))
      .map((page) => page.split(sep).join('/'))
      .filter((page) => !readme.includes(page));
    expect(missing).toEqual([]);
    expect(readme).toContain('docs/decisions/');
  });
});

describe('the link check itself', () => {
  const site: Record<string, string> = {
    'README.md': [
      '# Title',
      '## Quick start',
      '## `simulate`, the command',
      '## Quick start',
      'Setext heading',
      '--------------',
      '<a id="kept-here"></a>',
      '```sh',
      '# not a heading',
      '[not](a-link.md)',
      '```',
      'Inline `[not](a-link.md)` either.',
    ].join('\n'),
    'docs/guide.md': '# Guide\n\n## Rehearsing with `simulate`\n\n### A — B: c.d (e_f)\n\n## Привет, мир\n',
    'docs/img/a.png': '',
  };
  const files: Files = {
    read: (path) => site[path],
    exists: (path) => path in site || Object.keys(site).some((name) => name.startsWith(`${path}/`)),
  };
  const wrong = (page: string, target: string) => brokenLink(page, target, files);

  it('makes GitHub’s slugs: code marks and punctuation dropped, a repeated heading numbered', () => {
    expect([...anchors(site['README.md']!)]).toEqual([
      'title',
      'quick-start',
      'simulate-the-command',
      'quick-start-1',
      'setext-heading',
      'kept-here',
    ]);
    expect([...anchors(site['docs/guide.md']!)]).toEqual(['guide', 'rehearsing-with-simulate', 'a--b-cd-e_f', 'привет-мир']);
  });

  it('finds links outside code only', () => {
    expect(links(site['README.md']!)).toEqual([]);
    expect(
      links('See [a](b.md#c), ![img](d.png "title"), <https://example.com/x> and\n[ref]: e.md').map(({ target }) => target),
    ).toEqual(['b.md#c', 'd.png', 'https://example.com/x', 'e.md']);
  });

  it('takes links that lead somewhere', () => {
    expect(wrong('README.md', 'docs/guide.md')).toBeUndefined();
    expect(wrong('README.md', 'docs/guide.md#rehearsing-with-simulate')).toBeUndefined();
    expect(wrong('README.md', '#quick-start-1')).toBeUndefined();
    expect(wrong('README.md', '#kept-here')).toBeUndefined();
    expect(wrong('docs/guide.md', '../README.md#setext-heading')).toBeUndefined();
    expect(wrong('docs/guide.md', 'img/')).toBeUndefined();
    expect(wrong('docs/guide.md', '#%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82-%D0%BC%D0%B8%D1%80')).toBeUndefined();
    expect(wrong('README.md', 'https://www.standardwebhooks.com')).toBeUndefined();
    expect(wrong('README.md', 'http://localhost:8080/admin')).toBeUndefined();
  });

  it('fails a missing file, a missing anchor, a path outside the repository and a malformed URL', () => {
    expect(wrong('README.md', 'docs/benchmarks.md')).toMatch(/does not exist/);
    expect(wrong('README.md', 'docs/guide.md#rehearsing')).toMatch(/no heading #rehearsing/);
    expect(wrong('README.md', '#quick-start-2')).toMatch(/no heading/);
    expect(wrong('README.md', 'docs/img/a.png#x')).toMatch(/no headings/);
    expect(wrong('docs/guide.md', '../../elsewhere.md')).toMatch(/outside the repository/);
    expect(wrong('README.md', '/docs/guide.md')).toMatch(/absolute path/);
    expect(wrong('README.md', 'https://')).toMatch(/not a URL/);
    expect(wrong('README.md', 'https://intranet/x')).toMatch(/no host/);
    expect(wrong('README.md', 'ftp://example.com')).toMatch(/does not know/);
    const broken: Record<string, string> = { ...site, 'README.md': `${site['README.md']}\n\nSee [the guide](docs/guid.md).` };
    expect(brokenLinks(['README.md'], { ...files, read: (path) => broken[path] })).toEqual([
      'README.md:14: docs/guid.md: docs/guid.md does not exist',
    ]);
  });
});
