/** The request logs of every provider, newest first, for the admin API. */
import type { ReadDb } from '../db/replicas.js';
import { afterCondition, page, POSITION_SQL, type Position } from './cursor.js';
import { providerLiteral } from './sql.js';
import { toLoggedRequest, type LoggedRequest } from './story.js';

export interface RequestFilter {
  providers: string[];
  method?: string;
  ip?: string;
  /** A piece of text the URL or the body contains. */
  contains?: string;
  from?: Date;
  to?: Date;
  limit: number;
  after?: Position;
}

export async function listRequests(db: ReadDb, filter: RequestFilter): Promise<{ items: LoggedRequest[]; next: string | null }> {
  if (filter.providers.length === 0) return { items: [], next: null };
  const params: unknown[] = [];
  const shared = ['true'];
  if (filter.method) shared.push(`method = $${params.push(filter.method)}`);
  if (filter.ip) shared.push(`ip = $${params.push(filter.ip)}`);
  if (filter.contains) {
    const text = params.push(filter.contains);
    shared.push(`(strpos(url, $${text}) > 0 OR strpos(body, $${text}) > 0)`);
  }
  if (filter.from) shared.push(`created_at >= $${params.push(filter.from)}`);
  if (filter.to) shared.push(`created_at < $${params.push(filter.to)}`);
  const limit = params.push(filter.limit + 1);
  const selects = filter.providers.map((provider) => {
    const literal = providerLiteral(provider);
    const conditions = filter.after ? [...shared, afterCondition(literal, params, filter.after)] : shared;
    return `(SELECT ${literal}::text AS provider, id, ip, url, method, headers, body, created_at
      FROM ${db.table(`${provider}_http_log`)} WHERE ${conditions.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${limit})`;
  });
  const rows = await db.query<{ provider: string; id: string; position: string } & Record<string, unknown>>(
    `SELECT *, ${POSITION_SQL} AS position FROM (${selects.join(' UNION ALL ')}) AS t ORDER BY created_at DESC, provider DESC, id DESC LIMIT $${limit}`,
    params,
  );
  const result = page(rows, filter.limit);
  return { items: result.rows.map((row) => toLoggedRequest(row.provider, row)), next: result.next };
}
