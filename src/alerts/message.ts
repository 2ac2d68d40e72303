/** What an alert says: a line of text for people, and the same facts as JSON for machines. */
import { redactUrl } from '../util/redact-url.js';
import type { Incident } from './store.js';

export type AlertEvent = 'opened' | 'resolved';

export interface AlertMessage {
  event: AlertEvent;
  subject: string;
  text: string;
  json: Record<string, unknown>;
}

/** `items`: what the incident's streams deliver, in words (itemsInWords). */
export function alertMessage(incident: Incident, event: AlertEvent, items = 'payment(s)'): AlertMessage {
  // Texts go to chats and mailboxes: whatever the incident holds, its URL is told masked.
  const url = redactUrl(incident.url);
  const providers = incident.providers.join(', ');
  const since = `${incident.startedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  const json = {
    type: `incident.${event}`,
    incident: {
      id: incident.id,
      url,
      providers: incident.providers,
      reason: incident.reason,
      started_at: incident.startedAt.toISOString(),
      opened_at: incident.openedAt.toISOString(),
      resolved_at: incident.resolvedAt?.toISOString() ?? null,
      duration_seconds: incident.resolvedAt ? seconds(incident.resolvedAt.getTime() - incident.startedAt.getTime()) : null,
      pending: incident.pending,
      delayed: incident.delayed,
      last_error: incident.lastError,
    },
  };
  if (event === 'opened') {
    const text =
      `payrelay: webhooks to ${url} (${providers}) are late since ${since}: ${incident.reason}. ` +
      `${incident.pending} ${items} waiting${incident.lastError ? `; last error: ${incident.lastError}` : ''}. ` +
      'payrelay keeps retrying and loses nothing; another message follows when deliveries resume.';
    return { event, subject: `payrelay: webhooks to ${url} are late`, text, json: { ...json, text } };
  }
  const lasted = incident.resolvedAt ? duration(incident.resolvedAt.getTime() - incident.startedAt.getTime()) : '?';
  const text =
    `payrelay: webhooks to ${url} (${providers}) are delivered again. ` +
    `The delay lasted ${lasted} (since ${since}); ${incident.delayed ?? 0} ${items} were delayed.`;
  return { event, subject: `payrelay: webhooks to ${url} recovered after ${lasted}`, text, json: { ...json, text } };
}

const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

/** `42 s`, `7 min`, `2 h 5 min`: how people say it. */
export function duration(ms: number): string {
  const total = seconds(ms);
  if (total < 60) return `${total} s`;
  const minutes = Math.round(total / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
