/** The one rule for a URL that is shown or stored: credentials and query values masked, no fragment. */
import { describe, expect, it } from 'vitest';
import { EnvReader } from '../config/env.js';
import { readReplicas } from '../db/replicas.js';
import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it.each([
    ['a password, the user name kept', 'https://shop:p%40ss@example.com/hook', 'https://shop:***@example.com/hook'],
    ['a password without a user name', 'https://:p%40ss@example.com/hook', 'https://:***@example.com/hook'],
    ['a user name alone (an API key)', 'https://apikey@example.com/hook', 'https://***@example.com/hook'],
    [
      'every value of the query, the names kept',
      'https://example.com/hook?token=s3cret&shop=7&a%20b=c%3Dd',
      'https://example.com/hook?token=***&shop=***&a%20b=***',
    ],
    ['a parameter without = (it may be the token itself)', 'https://example.com/hook?s3cret', 'https://example.com/hook?***'],
    ['nothing of an empty value', 'https://example.com/hook?token=&shop=7', 'https://example.com/hook?token=&shop=***'],
    ['the fragment, dropped', 'https://example.com/hook?token=s3cret#frag-s3cret', 'https://example.com/hook?token=***'],
    [
      'all of them at once',
      'http://apikey:s3cret@127.0.0.1:8080/a/b?token=s3cret#s3cret',
      'http://apikey:***@127.0.0.1:8080/a/b?token=***',
    ],
    [
      'any scheme (DATABASE_URL, ALERT_SMTP_URL)',
      'postgres://payrelay:s3cret@db:5432/payrelay?sslmode=require',
      'postgres://payrelay:***@db:5432/payrelay?sslmode=***',
    ],
  ])('masks %s', (_, url, shown) => {
    expect(redactUrl(url)).toBe(shown);
    expect(redactUrl(new URL(url))).toBe(shown);
  });

  it('keeps a URL without secrets as it is, a string as written', () => {
    expect(redactUrl('https://example.com:8443/hooks/payrelay')).toBe('https://example.com:8443/hooks/payrelay');
    expect(redactUrl(new URL('https://example.com'))).toBe('https://example.com/');
    expect(redactUrl('https://backend.example/<hook>')).toBe('https://backend.example/<hook>');
  });

  it('masks credentials however few or many slashes follow the scheme (a URL parser takes them all)', () => {
    for (const text of ['http:apikey@example.com/hook', 'http:///apikey@example.com/hook', 'http:\\\\apikey@example.com/hook']) {
      expect(new URL(text).username).toBe('apikey');
      expect(redactUrl(text)).not.toContain('apikey');
    }
  });

  it('masks what is not a URL at all the same way (a configuration error quotes it)', () => {
    expect(redactUrl('http://apikey@bad host/hook?token=s3cret')).toBe('http://***@bad host/hook?token=***');
    expect(redactUrl('http://shop:p@ss@bad host/hook')).toBe('http://shop:***@bad host/hook');
    expect(redactUrl('http://shop:p?s#s@bad host/hook')).toBe('http://shop:***@bad host/hook');
    expect(redactUrl('shop:s3cret@db:5432')).toBe('shop:***@db:5432');
    expect(redactUrl('db:5432')).toBe('db:5432');
  });

  it('masks a masked URL to itself: what was stored masked reads the same', () => {
    for (const url of ['http://apikey:s3cret@h/a?token=s3cret&x', 'http://apikey@h/a', 'http://h/a?token=']) {
      expect(redactUrl(redactUrl(url))).toBe(redactUrl(url));
      expect(redactUrl(new URL(redactUrl(url)))).toBe(redactUrl(url));
    }
  });

  it('leaves the URL it is given alone: what is requested keeps its credentials and query', () => {
    const url = new URL('http://apikey:s3cret@example.com/hook?token=s3cret#top');
    redactUrl(url);
    expect(url.href).toBe('http://apikey:s3cret@example.com/hook?token=s3cret#top');
  });
});

/** The message of what `read` throws. */
function thrown(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('nothing thrown');
}

describe('configuration errors quoting a URL', () => {
  it.each([
    ['not a URL', 'http://apikey@bad host/hook?token=s3cret'],
    ['without a host', 'postgres://apikey@/payrelay'],
    ['of the wrong scheme', 'ftp://apikey@example.com/hook?token=s3cret'],
  ])('mask it when it is %s', (_, value) => {
    const message = thrown(() => new EnvReader({ QIWI_WEBHOOK_URL: value }).url('QIWI_WEBHOOK_URL', ['http:', 'https:']));
    expect(message).toMatch(/^QIWI_WEBHOOK_URL /);
    expect(message).not.toMatch(/s3cret|apikey/);
  });

  it('mask a PG_SLAVES entry written as a URL', () => {
    const read = () => readReplicas(new EnvReader({ PG_SLAVES: 'postgres://apikey:s3cret@replica:5432' }), { host: 'db' });
    expect(read).toThrow(/^PG_SLAVES has "postgres:\/\/apikey:\*\*\*@replica:5432"/);
    const user = () => readReplicas(new EnvReader({ PG_SLAVES: 'apikey@replica' }), { host: 'db' });
    expect(user).toThrow(/^PG_SLAVES has "\*\*\*@replica"/);
  });
});
