/**
 * Where alerts go. Each channel sends one message or throws with the reason; the monitor keeps
 * a failed message and tries that channel again later, the other channels are not held up.
 */
import nodemailer from 'nodemailer';
import { signatureHeaders } from '../delivery/signature.js';
import { callBackend } from '../http/client.js';
import type { AlertConfig } from './config.js';
import type { AlertMessage } from './message.js';

export interface AlertChannel {
  name: 'webhook' | 'telegram' | 'email';
  send(message: AlertMessage, id: string): Promise<void>;
}

const TIMEOUT_MS = 10_000;

export function alertChannels(config: AlertConfig): AlertChannel[] {
  const channels: AlertChannel[] = [];
  if (config.webhook) channels.push(webhookChannel(config.webhook));
  if (config.telegram) channels.push(telegramChannel(config.telegram));
  if (config.email) channels.push(emailChannel(config.email));
  return channels;
}

/** A JSON POST signed like the payment webhooks (Standard Webhooks); any 2xx is taken. */
function webhookChannel({ url, secret }: NonNullable<AlertConfig['webhook']>): AlertChannel {
  return {
    name: 'webhook',
    async send(message, id) {
      const body = JSON.stringify(message.json);
      const headers = secret ? signatureHeaders(secret, id, body) : {};
      const response = await callBackend(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        timeoutMs: TIMEOUT_MS,
        maxBodyChars: 200,
      });
      if (response.status < 200 || response.status >= 300) throw new Error(`HTTP ${response.status}`);
    },
  };
}

/** The Bot API's sendMessage; the answer must say ok. */
function telegramChannel({ apiUrl, botToken, chatId }: NonNullable<AlertConfig['telegram']>): AlertChannel {
  const base = apiUrl.href.endsWith('/') ? apiUrl.href : `${apiUrl.href}/`;
  const endpoint = new URL(`./bot${botToken}/sendMessage`, base);
  return {
    name: 'telegram',
    async send(message) {
      const response = await callBackend(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: chatId, text: message.text, disable_web_page_preview: true }),
        timeoutMs: TIMEOUT_MS,
        maxBodyChars: 1000,
      });
      let answer: { ok?: boolean; description?: string } = {};
      try {
        answer = JSON.parse(response.body) as typeof answer;
      } catch {
        // Not the Bot API answering (a proxy's error page): the status says enough.
      }
      if (response.status !== 200 || answer.ok !== true) {
        throw new Error(`HTTP ${response.status}${answer.description ? `: ${answer.description}` : ''}`);
      }
    },
  };
}

function emailChannel({ smtpUrl, to, from }: NonNullable<AlertConfig['email']>): AlertChannel {
  const transport = nodemailer.createTransport({
    ...smtpSecurity(smtpUrl),
    host: smtpUrl.hostname,
    port: smtpUrl.port ? Number(smtpUrl.port) : smtpUrl.protocol === 'smtps:' ? 465 : 587,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  });
  return {
    name: 'email',
    async send(message) {
      await transport.sendMail({ from, to, subject: message.subject, text: message.text });
    },
  };
}

/**
 * `smtps://` is TLS from the first byte. `smtp://` with credentials must be upgraded with STARTTLS
 * before AUTH (requireTLS): a server that does not offer it, or a man in the middle who strips it
 * from the server's answer, gets an error, never the password. `smtp://` without credentials
 * still upgrades when the server offers STARTTLS, and otherwise goes on in plain text: there is
 * no secret to leak, only the alert's text, and a relay on the same host or network often has no
 * certificate at all.
 */
function smtpSecurity(smtpUrl: URL): { secure: boolean; requireTLS: boolean; auth?: { user: string; pass: string } } {
  const secure = smtpUrl.protocol === 'smtps:';
  if (!smtpUrl.username) return { secure, requireTLS: false };
  const auth = { user: decodeURIComponent(smtpUrl.username), pass: decodeURIComponent(smtpUrl.password) };
  return { secure, requireTLS: !secure, auth };
}
