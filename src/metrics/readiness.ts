import type { Db } from '../db/index.js';
import { collectMigrations, type MigratedInstance } from '../db/migrate.js';

export type Readiness = { ready: true } | { ready: false; reason: string; missing?: string[] };

const UNDEFINED_TABLE = '42P01';

/**
 * Ready when the database answers and every migration this build ships is applied: a process
 * started against a database an older build migrated must not take traffic yet.
 */
export function readinessCheck(db: Db, instances: MigratedInstance[]): () => Promise<Readiness> {
  const shipped = collectMigrations(instances).map((migration) => migration.id);
  return async () => {
    let applied: Set<string>;
    try {
      const rows = await db.query<{ id: string }>(`SELECT id FROM ${db.table('payrelay_migration')}`);
      applied = new Set(rows.map((row) => row.id));
    } catch (error) {
      if ((error as { code?: string }).code !== UNDEFINED_TABLE) return { ready: false, reason: 'database does not answer' };
      applied = new Set();
    }
    const missing = shipped.filter((id) => !applied.has(id));
    if (missing.length > 0) return { ready: false, reason: 'migrations not applied', missing };
    return { ready: true };
  };
}
