/**
 * JSON schemas of the admin API: Fastify validates requests by them and @fastify/swagger
 * writes the OpenAPI document from them, so the two cannot drift apart. Unknown query and body
 * fields are refused (`additionalProperties: {not: {}}`: Fastify's Ajv would silently drop them
 * under `false`), so a misspelt filter is a 400, not a filter quietly ignored.
 */
const NO_OTHERS = { not: {} };
/** PostgreSQL text holds no NUL: a filter with one would be a database error, not a 400. */
const text = (maxLength: number, extra: object = {}) => ({ type: 'string', maxLength, pattern: '^[^\\u0000]*$', ...extra });
const nullable = (type: string, extra: object = {}) => ({ type: [type, 'null'], ...extra });
const dateTime = (description: string) => ({ type: 'string', format: 'date-time', description });

const error = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error'],
};

const paging = {
  limit: { type: 'integer', minimum: 1, maximum: 200, default: 50, description: 'items per page' },
  cursor: { type: 'string', maxLength: 400, description: '`next` of the previous page' },
};

const transactionItem = {
  type: 'object',
  properties: {
    provider: { type: 'string' },
    id: { type: 'string', description: "payrelay's transaction id" },
    account: { type: 'string' },
    code: { type: 'string', description: "the provider's payment id" },
    sum: { type: 'string', description: 'exact decimal, as stored' },
    status: { type: 'integer', enum: [0, 1], description: '0 received, 1 delivered' },
    created_at: { type: 'string', format: 'date-time' },
    delivered_at: nullable('string', { format: 'date-time' }),
    delivery_attempts: { type: 'integer' },
    next_attempt_at: nullable('string', { format: 'date-time' }),
    last_error: nullable('string'),
  },
  required: [
    'provider',
    'id',
    'account',
    'code',
    'sum',
    'status',
    'created_at',
    'delivered_at',
    'delivery_attempts',
    'last_error',
  ],
};

const loggedRequest = {
  type: 'object',
  properties: {
    provider: { type: 'string' },
    id: { type: 'string' },
    ip: nullable('string'),
    method: nullable('string'),
    url: nullable('string'),
    headers: { description: 'as logged, Authorization and the provider’s signature headers masked' },
    body: nullable('string'),
    created_at: { type: 'string', format: 'date-time' },
  },
};

const attempt = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    attempt: { type: 'integer' },
    url: { type: 'string' },
    request_body: { type: 'string' },
    response_status: nullable('integer'),
    response_excerpt: nullable('string', { description: "the first 500 characters of the backend's answer" }),
    error: nullable('string'),
    duration_ms: { type: 'integer' },
    created_at: { type: 'string', format: 'date-time' },
  },
};

const page = (item: object) => ({
  type: 'object',
  properties: { items: { type: 'array', items: item }, next: nullable('string', { description: 'cursor of the next page' }) },
  required: ['items', 'next'],
});

const transactionKey = (providers: string[]) => ({
  type: 'object',
  properties: {
    provider: { type: 'string', enum: providers },
    id: { type: 'string', pattern: '^[0-9]{1,19}$' },
  },
  required: ['provider', 'id'],
});

export function adminSchemas(providers: string[]) {
  const provider = { type: 'string', enum: providers };
  return {
    listTransactions: {
      summary: 'Payments across providers, newest first',
      querystring: {
        type: 'object',
        properties: {
          provider,
          status: { type: 'integer', enum: [0, 1] },
          account: text(200),
          code: text(200),
          q: text(200, { description: 'the account or the code, exactly' }),
          failing: { type: 'boolean', description: 'only payments not delivered whose last attempt failed' },
          from: dateTime('received at or after'),
          to: dateTime('received before'),
          ...paging,
        },
        additionalProperties: NO_OTHERS,
      },
      response: { 200: page(transactionItem), 400: error },
    },
    showTransaction: {
      summary: 'One payment with its delivery attempts, requests and later events',
      params: transactionKey(providers),
      response: {
        200: {
          type: 'object',
          properties: {
            ...transactionItem.properties,
            details: { type: 'object', additionalProperties: true, description: "the provider's own columns" },
            attempts: { type: 'array', items: attempt },
            requests: { type: 'array', items: loggedRequest },
            events: {
              type: 'array',
              items: { type: 'object', additionalProperties: true },
              description: 'events recorded about it later (cancel, refund, ...), each with its delivery state',
            },
          },
        },
        404: error,
      },
    },
    redeliverOne: {
      summary: 'Deliver one payment again now, even if delivered (same webhook-id, a new attempt)',
      params: transactionKey(providers),
      response: {
        202: {
          type: 'object',
          properties: { provider: { type: 'string' }, id: { type: 'string' }, queued: { type: 'boolean' } },
        },
        404: error,
        409: error,
      },
    },
    redeliverMany: {
      summary: 'Deliver many payments again now, of the providers that have a webhook URL',
      body: {
        type: 'object',
        properties: {
          provider,
          undelivered: { type: 'boolean', description: 'only payments not delivered yet' },
          since: dateTime('received at or after'),
          until: dateTime('received before'),
        },
        additionalProperties: NO_OTHERS,
      },
      response: {
        202: {
          type: 'object',
          properties: {
            queued: { type: 'object', additionalProperties: { type: 'integer' }, description: 'per provider' },
            total: { type: 'integer' },
          },
        },
        400: error,
        409: error,
      },
    },
    listRequests: {
      summary: 'The request log across providers, newest first',
      querystring: {
        type: 'object',
        properties: {
          provider,
          method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] },
          ip: text(64),
          contains: text(200, { description: 'text the URL or the body contains' }),
          from: dateTime('received at or after'),
          to: dateTime('received before'),
          ...paging,
        },
        additionalProperties: NO_OTHERS,
      },
      response: { 200: page(loggedRequest), 400: error },
    },
    openapi: { summary: 'This document' },
  };
}
