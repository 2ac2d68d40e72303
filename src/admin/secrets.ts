/**
 * What the admin shows of a network's messages: the fields its protocol calls credentials (a card
 * token) as `***`, in requests, payments and events alike, whatever a row stored before they
 * were masked there.
 */
import { maskFields } from '../http/request-log.js';
import type { AdminContext } from './index.js';
import type { LoggedRequest } from './story.js';

/** The instance's protocol's secret fields. */
export function secretFieldsOf(context: Pick<AdminContext, 'providers'>, instance: string): readonly string[] {
  return context.providers.find(({ name }) => name === instance)?.protocol.secretFields ?? [];
}

/** A stored value (a payload, a row's details) with every key in `fields` masked, at any depth. */
export function maskValue(value: unknown, fields: readonly string[]): unknown {
  if (fields.length === 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskValue(item, fields));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, fields.includes(key) ? '***' : maskValue(item, fields)]),
  );
}

export function maskRequest(request: LoggedRequest, fields: readonly string[]): LoggedRequest {
  if (fields.length === 0) return request;
  const mask = (text: string | null) => (text === null ? null : maskFields(text, fields));
  return { ...request, url: mask(request.url), body: mask(request.body) };
}
