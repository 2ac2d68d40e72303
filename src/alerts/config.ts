import { hostname } from 'node:os';
import { ConfigError, type EnvReader } from '../config/index.js';
import { parseWebhookSecret } from '../delivery/signature.js';

export interface AlertConfig {
  /** How long deliveries may be late (a URL failing, a payment pending) before an alert. */
  afterMs: number;
  /** How often each process looks. */
  checkMs: number;
  webhook?: { url: URL; secret?: Buffer };
  telegram?: { apiUrl: URL; botToken: string; chatId: string };
  email?: { smtpUrl: URL; to: string[]; from: string };
}

export function readAlertConfig(env: EnvReader): AlertConfig {
  return {
    afterMs: env.int('ALERT_AFTER_MS', 300_000, 100, 7 * 86_400_000),
    checkMs: env.int('ALERT_CHECK_MS', 15_000, 50, 600_000),
    webhook: readWebhook(env),
    telegram: readTelegram(env),
    email: readEmail(env),
  };
}

function readWebhook(env: EnvReader): AlertConfig['webhook'] {
  const url = env.url('ALERT_WEBHOOK_URL');
  if (!url) return undefined;
  const variable = env.secret('ALERT_WEBHOOK_SECRET') ? 'ALERT_WEBHOOK_SECRET' : 'WEBHOOK_SECRET';
  const text = env.secret(variable)?.trim();
  const secret = text ? parseWebhookSecret(text) : undefined;
  if (text && !secret) throw new ConfigError(variable, 'must be whsec_ followed by base64 (a Standard Webhooks secret)');
  return { url, secret };
}

function readTelegram(env: EnvReader): AlertConfig['telegram'] {
  const botToken = env.secret('ALERT_TELEGRAM_BOT_TOKEN')?.trim();
  const chatId = env.string('ALERT_TELEGRAM_CHAT_ID');
  if (!botToken && !chatId) return undefined;
  if (!botToken) throw new ConfigError('ALERT_TELEGRAM_BOT_TOKEN', 'must be set when ALERT_TELEGRAM_CHAT_ID is');
  if (!chatId) throw new ConfigError('ALERT_TELEGRAM_CHAT_ID', 'must be set when ALERT_TELEGRAM_BOT_TOKEN is');
  const apiUrl = env.url('ALERT_TELEGRAM_API_URL') ?? new URL('https://api.telegram.org');
  return { apiUrl, botToken, chatId };
}

function readEmail(env: EnvReader): AlertConfig['email'] {
  const smtpUrl = env.url('ALERT_SMTP_URL', ['smtp:', 'smtps:']);
  const to = (env.string('ALERT_EMAIL_TO') ?? '')
    .split(',')
    .map((address) => address.trim())
    .filter(Boolean);
  if (!smtpUrl && to.length === 0) return undefined;
  if (!smtpUrl)
    throw new ConfigError(
      'ALERT_SMTP_URL',
      'must be set when ALERT_EMAIL_TO is (like smtp://user:password@mail.example.com:587)',
    );
  if (to.length === 0)
    throw new ConfigError('ALERT_EMAIL_TO', 'must be set when ALERT_SMTP_URL is (one address or several, comma-separated)');
  const bad = to.find((address) => !/^[^\s@]+@[^\s@]+$/.test(address));
  if (bad) throw new ConfigError('ALERT_EMAIL_TO', `has "${bad}", which is not an e-mail address`);
  return { smtpUrl, to, from: env.string('ALERT_EMAIL_FROM') ?? `payrelay@${hostname()}` };
}
