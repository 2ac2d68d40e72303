/**
 * A protocol is its folder, one line in the registry and its page in docs/providers/: no other
 * source file names one, so adding the next touches nothing else. Tests may name the protocols
 * they exercise; the code they test may not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { protocols } from './index.js';

const SRC = new URL('../', import.meta.url).pathname;
const PROVIDERS = join(SRC, 'providers');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|sql)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** Every protocol's name and title, as a word in any case: `toy`, `TOY_`, `_toy_`... */
const NAMES = protocols.flatMap(({ name, title }) => [name, title.split(' ')[0]!]);
const escaped = NAMES.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
const NAMED = new RegExp(`(?<![a-z0-9])(${escaped.join('|')})(?![a-z0-9])`, 'i');

describe('protocol folders', () => {
  it('hold every mention of their protocol: no other source file names one', () => {
    const own = protocols.map(({ name }) => join(PROVIDERS, name));
    const registry = join(PROVIDERS, 'index.ts');
    const offenders = sources(SRC)
      .filter((file) => file !== registry && !own.some((folder) => file.startsWith(`${folder}/`)))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, index) => (NAMED.test(line) ? [`${relative(SRC, file)}:${index + 1}: ${line.trim()}`] : [])),
      );
    expect(offenders).toEqual([]);
  });

  it('is what the check looks for (it would see a protocol named outside its folder)', () => {
    for (const { name, title } of protocols) {
      const word = title.split(' ')[0]!;
      for (const line of [`${name.toUpperCase()}_WEBHOOK_URL`, `table('${name}_event')`, `/_${name}_/payment`, `${word} signs`])
        expect(NAMED.test(line), line).toBe(true);
      expect(NAMED.test(`a ${name}soft`), `${name} inside a longer word`).toBe(false);
    }
    expect(NAMED.test('pay24_transaction')).toBe(false);
  });
});
