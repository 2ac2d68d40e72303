import type { Provider } from '../types.js';
import { cloudPaymentsRoutes, NOTIFICATION_PATHS } from './routes.js';
import { readCloudPaymentsSettings, type CloudPaymentsSettings } from './settings.js';

/** CloudPayments (cards): seven notification types from the cabinet, and the card page. */
export const cloudpayments: Provider<CloudPaymentsSettings> = {
  name: 'cloudpayments',
  title: 'CloudPayments',
  migrationsDir: new URL('./migrations/', import.meta.url),
  readSettings: readCloudPaymentsSettings,
  routes: cloudPaymentsRoutes,
  endpoints: [...NOTIFICATION_PATHS, '/pub/card'],
  warnings(settings) {
    const warnings: string[] = [];
    if (!settings.apiSecret) warnings.push('no CLOUDPAYMENTS_API_SECRET: notifications are accepted unsigned');
    if (!settings.webhookUrl) warnings.push('CLOUDPAYMENTS_WEBHOOK_URL is not set: payments are kept at status 0 until it is');
    if (!settings.checkUrl) warnings.push('CLOUDPAYMENTS_CHECK_URL is not set: every account is accepted on check');
    if (!settings.publicId) warnings.push('CLOUDPAYMENTS_PUBLIC_ID is not set: the card page answers 400');
    else if (settings.redirectHosts.length === 0) {
      warnings.push('CLOUDPAYMENTS_REDIRECT_HOSTS is not set: the card page may redirect to any http(s) site');
    }
    return warnings;
  },
  // The container this replaces took only these two as "accepted"; a 202 or 204 is retried.
  acceptsWebhookStatus: (status) => status === 200 || status === 201,
};
