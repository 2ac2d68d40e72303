import { execFileSync } from 'node:child_process';
import { chownSync, readdirSync, statSync } from 'node:fs';
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
 * Gives the server user the folders it needs as its own: PostgreSQL wants the cluster folder
 * owned by the user that runs it. No other folder's permissions change: where the user cannot
 * pass, the server reaches its folders another way (passage.ts).
 */
export function handOver(ownFolders: string[], user: ServerUser): void {
  for (const folder of ownFolders) chownTree(folder, user);
}

function chownTree(path: string, { uid, gid }: ServerUser): void {
  const stat = statSync(path);
  if (stat.uid === uid && stat.gid === gid) return;
  chownSync(path, uid, gid);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), { uid, gid });
}
