import type { Provider, ProviderSettings } from '../types.js';
import { readProviderSettings } from '../types.js';
import { qiwiRoutes } from './routes.js';

/** QIWI-protocol terminal networks (cash at a kiosk): check and pay on one endpoint. */
export const qiwi: Provider<ProviderSettings> = {
  name: 'qiwi',
  title: 'QIWI terminals',
  migrationsDir: new URL('./migrations/', import.meta.url),
  readSettings: (env) => readProviderSettings(env, 'QIWI'),
  routes: qiwiRoutes,
  endpoints: ['/payment'],
  warnings(settings) {
    const warnings: string[] = [];
    if (!settings.webhookUrl) warnings.push('QIWI_WEBHOOK_URL is not set: payments are kept at status 0 until it is');
    if (!settings.checkUrl) warnings.push('QIWI_CHECK_URL is not set: every account is accepted on check');
    return warnings;
  },
  acceptsWebhookStatus: (status) => status >= 200 && status < 300,
};
