import type { Credentials } from '../http/basic-auth.js';
import { callBackend } from '../http/client.js';
import type { SimulatedAnswer, SimulatedRequest } from '../providers/simulator.js';

/** A provider waits about 30 seconds for an answer; so does the simulator. */
const TIMEOUT_MS = 30_000;
const KEPT_CHARS = 4000;

/** Sends the request, with Basic credentials (from the URL, or `auth`) when there are some. */
export async function sendSimulated(request: SimulatedRequest, auth?: Credentials): Promise<SimulatedAnswer> {
  const headers = { ...request.headers };
  if (auth && !request.url.username) {
    headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  }
  const response = await callBackend(request.url, {
    method: request.method,
    headers,
    body: request.body,
    timeoutMs: TIMEOUT_MS,
    maxBodyChars: KEPT_CHARS,
  });
  const contentType = response.headers['content-type'];
  return { status: response.status, contentType: typeof contentType === 'string' ? contentType : '', body: response.body };
}
