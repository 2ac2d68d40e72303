import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { PostgresBinaries } from './binaries.js';
import type { ServerUser } from './server-user.js';

export const SETPRIV = '/usr/bin/setpriv';

/**
 * How the server reaches its cluster folder and its binaries, and the paths it is given for them.
 *
 * Directly, when every folder above them lets it pass. As root in a private folder (root's home
 * is 0700, so is a `mktemp -d`) the server's own user cannot pass, and opening those folders
 * would loosen the permissions of the user's own: the server then runs in a mount namespace of
 * its own, where the binaries and the cluster are bind-mounted under a root-owned folder it can
 * reach. Nothing is mounted outside its namespace, and nothing is left mounted when it exits.
 */
export interface Passage {
  binaries: PostgresBinaries;
  /** The path the server is given for the cluster folder (or initdb's scratch folder). */
  pathOf(folder: string): string;
  /** The command line that runs `argv` with `folder` at `pathOf(folder)`. */
  wrap(argv: string[], folder: string): string[];
  /** Once the server has stopped: its mount points go. */
  remove(): void;
}

export function passageFor(
  binaries: PostgresBinaries,
  user: ServerUser | undefined,
  dataDir: string,
  clusterDir: string,
): Passage {
  if (!user || canReach(user, dataDir, binaries.postgres)) {
    return { binaries, pathOf: (folder) => folder, wrap: (argv) => argv, remove: () => undefined };
  }
  return throughNamespace(binaries, clusterDir);
}

/** Whether the user can enter `folder` and run `binary`, as the kernel says (ACLs included). */
export function canReach(user: ServerUser, folder: string, binary: string): boolean {
  const asUser = [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'];
  const probe = spawnSync(SETPRIV, [...asUser, '/bin/sh', '-c', 'test -x "$1" && test -x "$2"', 'sh', folder, binary]);
  return probe.status === 0;
}

/**
 * The mount points: a folder per cluster (so that a leftover server's command line names its
 * cluster), in a root-owned folder nobody else can write to: a mount point another user could
 * swap for a link would let them choose what the server runs.
 */
function throughNamespace(binaries: PostgresBinaries, clusterDir: string): Passage {
  const base = existsSync('/run') ? '/run/payrelay-db' : join(tmpdir(), 'payrelay-db-mounts');
  const root = join(base, createHash('sha256').update(clusterDir).digest('hex').slice(0, 16));
  const native = dirname(dirname(binaries.postgres));
  const mounted = { native: join(root, 'native'), cluster: join(root, 'cluster') };
  for (const folder of Object.values(mounted)) mkdirSync(folder, { recursive: true, mode: 0o755 });
  for (const folder of [base, root, ...Object.values(mounted)]) ownedByRootAlone(folder);
  const inside = (binary: string) => join(mounted.native, relative(native, binary));
  return {
    binaries: { initdb: inside(binaries.initdb), postgres: inside(binaries.postgres) },
    pathOf: () => mounted.cluster,
    wrap: (argv, folder) => [
      'unshare',
      '--mount',
      '--propagation=private',
      '--',
      '/bin/sh',
      '-c',
      'mount --bind -o ro "$1" "$2" && mount --bind "$3" "$4" && shift 4 && exec "$@"',
      'sh',
      native,
      mounted.native,
      folder,
      mounted.cluster,
      ...argv,
    ],
    remove() {
      // Empty folders here (the mounts lived in the server's namespace): rmdir leaves anything else.
      for (const folder of [mounted.native, mounted.cluster, root]) {
        try {
          rmdirSync(folder);
        } catch {
          // Not empty, or gone already: left as it is.
        }
      }
    },
  };
}

function ownedByRootAlone(folder: string): void {
  const stat = lstatSync(folder);
  if (!stat.isDirectory() || stat.uid !== 0 || stat.mode & 0o022) {
    throw new Error(`${folder} must be a folder of root's that only root can write to (it mounts the embedded database)`);
  }
}
