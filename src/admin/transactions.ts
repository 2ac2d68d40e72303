/** Reading payments across providers, for the admin API and the dashboard. One query per function. */
import type { Db } from '../db/index.js';
import type { ReadDb } from '../db/replicas.js';
import { afterCondition, page, POSITION_SQL, type Position } from './cursor.js';
import { iso, providerLiteral } from './sql.js';

export interface TransactionFilter {
  providers: string[];
  status?: 0 | 1;
  account?: string;
  code?: string;
  /** Matches the account or the code exactly: the dashboard's search box. */
  search?: string;
  /** Not delivered, and the last attempt failed. */
  failing?: boolean;
  from?: Date;
  to?: Date;
  limit: number;
  after?: Position;
}

export interface TransactionItem {
  provider: string;
  id: string;
  account: string;
  code: string;
  sum: string;
  status: number;
  created_at: string | null;
  delivered_at: string | null;
  delivery_attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
}

const ITEM_COLUMNS = `id, account, code, sum::text AS sum, status, created_at, delivered_at, delivery_attempts,
  next_attempt_at, last_error`;

type ItemRow = Omit<TransactionItem, 'created_at' | 'delivered_at' | 'next_attempt_at'> & {
  created_at: Date;
  delivered_at: Date | null;
  next_attempt_at: Date | null;
  position: string;
};

/** Newest first across the given providers, one page and the cursor of the next. */
export async function listTransactions(
  db: ReadDb,
  filter: TransactionFilter,
): Promise<{ items: TransactionItem[]; next: string | null }> {
  if (filter.providers.length === 0) return { items: [], next: null };
  const params: unknown[] = [];
  const shared = sharedConditions(filter, params);
  const limit = params.push(filter.limit + 1);
  const selects = filter.providers.map((provider) => {
    const literal = providerLiteral(provider);
    const conditions = filter.after ? [...shared, afterCondition(literal, params, filter.after)] : shared;
    return `(SELECT ${literal}::text AS provider, ${ITEM_COLUMNS} FROM ${db.table(`${provider}_transaction`)}
      WHERE ${conditions.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${limit})`;
  });
  const rows = await db.query<ItemRow & Record<string, unknown>>(
    `SELECT *, ${POSITION_SQL} AS position FROM (${selects.join(' UNION ALL ')}) AS t ORDER BY created_at DESC, provider DESC, id DESC LIMIT $${limit}`,
    params,
  );
  const result = page(rows, filter.limit);
  return { items: result.rows.map(toItem), next: result.next };
}

function sharedConditions(filter: TransactionFilter, params: unknown[]): string[] {
  const conditions = ['true'];
  if (filter.status !== undefined) conditions.push(`status = $${params.push(filter.status)}`);
  if (filter.account !== undefined) conditions.push(`account = $${params.push(filter.account)}`);
  if (filter.code !== undefined) conditions.push(`code = $${params.push(filter.code)}`);
  if (filter.search !== undefined) {
    const search = params.push(filter.search);
    conditions.push(`(account = $${search} OR code = $${search})`);
  }
  if (filter.failing) conditions.push('status = 0 AND last_error IS NOT NULL');
  if (filter.from) conditions.push(`created_at >= $${params.push(filter.from)}`);
  if (filter.to) conditions.push(`created_at < $${params.push(filter.to)}`);
  return conditions;
}

function toItem(row: ItemRow): TransactionItem {
  return {
    provider: row.provider,
    id: String(row.id),
    account: row.account,
    code: row.code,
    sum: row.sum,
    status: Number(row.status),
    created_at: iso(row.created_at),
    delivered_at: iso(row.delivered_at),
    delivery_attempts: Number(row.delivery_attempts),
    next_attempt_at: iso(row.next_attempt_at),
    last_error: row.last_error,
  };
}

/** One payment by its id, or undefined. `id` must already be a valid bigint (see parseTransactionId). */
export async function findTransaction(db: Db, provider: string, id: string): Promise<TransactionDetail | undefined> {
  const [row] = await db.query(`SELECT * FROM ${db.table(`${provider}_transaction`)} WHERE id = $1`, [id]);
  if (!row) return undefined;
  return toDetail(provider, row);
}

export interface TransactionDetail extends TransactionItem {
  /** The protocol's own columns (a terminal's txn_date, a card payment's currency, ...). */
  details: Record<string, unknown>;
}

const COMMON = new Set([
  'id',
  'account',
  'code',
  'sum',
  'status',
  'created_at',
  'delivered_at',
  'delivery_attempts',
  'next_attempt_at',
  'last_error',
  'locked_until',
]);

function toDetail(provider: string, row: Record<string, unknown>): TransactionDetail {
  const details: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (!COMMON.has(column)) details[column] = value instanceof Date ? value.toISOString() : value;
  }
  const item = toItem({ ...(row as unknown as ItemRow), provider, sum: String(row.sum) });
  return { ...item, details };
}
