/** What an alert says about a URL: never its credentials or its query's values. */
import { describe, expect, it } from 'vitest';
import { alertMessage } from './message.js';
import type { Incident } from './store.js';

const incident = (url: string): Incident => ({
  id: '7',
  url,
  providers: ['qiwi'],
  reason: 'the URL has been failing for 6 min',
  startedAt: new Date('2025-01-02T03:04:05Z'),
  openedAt: new Date('2025-01-02T03:09:05Z'),
  resolvedAt: new Date('2025-01-02T03:19:05Z'),
  pending: 2,
  delayed: 2,
  lastError: 'HTTP 503',
});

describe('alertMessage', () => {
  it.each(['opened', 'resolved'] as const)('tells the URL %s with its secrets masked, in the text and the JSON', (event) => {
    const message = alertMessage(incident('http://apikey@127.0.0.1:8080/hook?token=s3cret#s3cret'), event);
    for (const part of [message.subject, message.text, JSON.stringify(message.json)]) {
      expect(part).toContain('http://***@127.0.0.1:8080/hook?token=***');
      expect(part).not.toMatch(/s3cret|apikey/);
    }
  });
});
