/**
 * The operator's side of payrelay under /admin: the JSON API (/admin/api, Bearer token) and
 * the dashboard (/admin, a session cookie). Without ADMIN_TOKEN none of these routes exist.
 */
import type { FastifyInstance } from 'fastify';
import type { CoreConfig } from '../config/index.js';
import type { Db } from '../db/index.js';
import type { ReadDb } from '../db/replicas.js';
import type { Instance } from '../providers/types.js';
import { adminApi } from './api.js';
import { dashboard } from './dashboard/routes.js';
import { TokenThrottle } from '../http/token-throttle.js';

export interface AdminOptions {
  core: CoreConfig;
  db: Db;
  /** Where the lists are read: the replicas of PG_SLAVES, else the primary. */
  reads: ReadDb;
  providers: Instance[];
  wakeDelivery(): void;
}

export interface AdminContext extends AdminOptions {
  token: string;
  /** Wrong tokens per address, for the API and the dashboard's sign-in alike. */
  throttle: TokenThrottle;
}

export async function admin(app: FastifyInstance, options: AdminOptions): Promise<void> {
  const token = options.core.adminToken;
  if (!token) return;
  const context: AdminContext = { ...options, token, throttle: new TokenThrottle() };
  await app.register(async (api) => adminApi(api, context), { prefix: '/admin/api' });
  await app.register(async (page) => dashboard(page, context), { prefix: '/admin' });
}
