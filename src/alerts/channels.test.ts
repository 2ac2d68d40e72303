/**
 * The e-mail channel against SMTP servers of the test's own on loopback: what each server reads
 * off the wire before any TLS is what anyone between payrelay and the mail relay could read.
 */
import type { AddressInfo, Socket } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerAuthenticationResponse } from 'smtp-server';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { alertChannels } from './channels.js';
import type { AlertMessage } from './message.js';

const USER = 'alerts';
const PASSWORD = 'relay-secret-7f3a';
const MESSAGE: AlertMessage = { event: 'opened', subject: 'payrelay: test', text: 'webhooks are late', json: {} };

type AuthCallback = (error: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void;

/**
 * An SMTP server on a free loopback port that offers AUTH with or without STARTTLS, keeps the
 * mails it accepts, and records the bytes each connection sent before TLS (`plain`).
 * With STARTTLS it presents smtp-server's built-in self-signed certificate.
 */
async function startSmtp({ starttls }: { starttls: boolean }) {
  const mails: string[] = [];
  const plain: string[] = [];
  const onAuth = vi.fn((auth: SMTPServerAuthentication, _session: unknown, callback: AuthCallback) =>
    callback(null, { user: auth.username }),
  );
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    // Without STARTTLS, AUTH is offered in plain text: a relay configured carelessly, or a
    // man in the middle that strips STARTTLS from the server's answer.
    allowInsecureAuth: !starttls,
    disabledCommands: starttls ? [] : ['STARTTLS'],
    onAuth,
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        mails.push(session.envelope.rcptTo.map((recipient) => recipient.address).join(','));
        callback();
      });
    },
  });
  server.server.on('connection', (socket: Socket) => recordPlainText(socket, plain, { upgrades: starttls }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, onAuth, plain: () => plain.join('') };
}

/**
 * Keeps what `socket` receives: all of it from a server without STARTTLS, up to the STARTTLS
 * command from one that upgrades (after it the bytes are ciphertext).
 */
function recordPlainText(socket: Socket, into: string[], { upgrades }: { upgrades: boolean }): void {
  const record = (chunk: Buffer) => {
    const text = chunk.toString('latin1');
    into.push(text);
    if (upgrades && /^STARTTLS\r?$/im.test(text)) socket.off('data', record);
  };
  socket.on('data', record);
}

function emailChannel(smtpUrl: string) {
  const config = {
    afterMs: 1000,
    checkMs: 1000,
    email: { smtpUrl: new URL(smtpUrl), to: ['ops@example.com'], from: 'payrelay@example.com' },
  };
  return alertChannels(config).find((channel) => channel.name === 'email')!;
}

/** The stand-in's certificate (smtp-server's built-in one, self-signed and expired) goes unchecked in this test only. */
function trustTheStandInsCertificate(): void {
  const createTransport = nodemailer.createTransport.bind(nodemailer);
  const spy = vi
    .spyOn(nodemailer, 'createTransport')
    .mockImplementation((options) => createTransport({ ...(options as object), tls: { rejectUnauthorized: false } }));
  onTestFinished(() => spy.mockRestore());
}

describe('alert e-mail and the SMTP password', () => {
  it('does not send the password to a server that offers no STARTTLS, and says why it failed', async () => {
    const smtp = await startSmtp({ starttls: false });
    const channel = emailChannel(`smtp://${USER}:${PASSWORD}@127.0.0.1:${smtp.port}`);

    await expect(channel.send(MESSAGE, 'alert_1_opened')).rejects.toThrow(/STARTTLS/);

    expect(smtp.onAuth).not.toHaveBeenCalled();
    expect(smtp.plain()).toMatch(/^EHLO /m);
    expect(smtp.plain()).not.toMatch(/^AUTH/im);
    expect(smtp.plain()).not.toContain(PASSWORD);
    expect(smtp.plain()).not.toContain(Buffer.from(PASSWORD).toString('base64').slice(0, 12));
    expect(smtp.mails).toEqual([]);
  });

  it('signs in once the connection is upgraded with STARTTLS, and sends', async () => {
    trustTheStandInsCertificate();
    const smtp = await startSmtp({ starttls: true });
    const channel = emailChannel(`smtp://${USER}:${PASSWORD}@127.0.0.1:${smtp.port}`);

    await channel.send(MESSAGE, 'alert_1_opened');

    expect(smtp.onAuth).toHaveBeenCalledOnce();
    expect(smtp.onAuth.mock.calls[0]![0]).toMatchObject({ username: USER, password: PASSWORD });
    expect(smtp.onAuth.mock.calls[0]![1]).toMatchObject({ secure: true });
    expect(smtp.plain()).toMatch(/^STARTTLS/m);
    expect(smtp.plain()).not.toContain(PASSWORD);
    expect(smtp.mails).toEqual(['ops@example.com']);
  });

  it('sends without TLS to a server that offers none when the URL has no credentials (a local relay)', async () => {
    const smtp = await startSmtp({ starttls: false });
    const channel = emailChannel(`smtp://127.0.0.1:${smtp.port}`);

    await channel.send(MESSAGE, 'alert_1_opened');

    expect(smtp.onAuth).not.toHaveBeenCalled();
    expect(smtp.mails).toEqual(['ops@example.com']);
  });
});
