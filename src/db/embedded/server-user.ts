import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The operating-system user the embedded server runs as when payrelay runs as root: an account of
 * payrelay's own. The host's `postgres` account (a system PostgreSQL's superuser, say) would reach
 * payrelay's data as its superuser over the trusted socket.
 */
export const SERVER_USER = 'payrelay-db';

export interface ServerUser {
  uid: number;
  gid: number;
}

/**
 * PostgreSQL refuses to run as root. As root (CI, a container started without USER), the
 * server runs as the SERVER_USER system user, created when missing; anyone else runs it as
 * themselves (undefined: no switch).
 */
export function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookUp = () => ({ uid: idOf('-u'), gid: idOf('-g') });
  try {
    return lookUp();
  } catch {
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', SERVER_USER],
      {
        stdio: 'pipe',
      },
    );
    return lookUp();
  }
}

function idOf(flag: string): number {
  return Number(execFileSync('id', [flag, SERVER_USER], { encoding: 'utf8', stdio: 'pipe' }).trim());
}

/**
 * Gives the server user the folders it needs: the cluster folder as its own (PostgreSQL wants it
 * owned by the user that runs it, mode 0700), and passage (search, not listing) through DATA_DIR.
 */
export function handOver(dataDir: string, ownFolders: string[], user: ServerUser): void {
  const mode = statSync(dataDir).mode;
  if ((mode & 0o001) === 0) chmodSync(dataDir, (mode & 0o7777) | 0o001);
  for (const folder of ownFolders) chownTree(folder, user);
}

function chownTree(path: string, { uid, gid }: ServerUser): void {
  const stat = statSync(path);
  if (stat.uid === uid && stat.gid === gid) return;
  chownSync(path, uid, gid);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), { uid, gid });
}
