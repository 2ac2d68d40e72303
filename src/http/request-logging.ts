import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * One line per request, when it is answered, with what Fastify's two lines said between them:
 * method, URL, caller, status and time. Under load the second line was a good part of the
 * gateway's work (decision 011); the request and its body are in `<provider>_http_log` anyway.
 */
export class RequestLogging extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: request.url }, 'incoming request');
  }

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: request.url,
      ip: request.ip,
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
