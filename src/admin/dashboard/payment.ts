import type { Attempt, LoggedRequest } from '../story.js';
import type { TransactionDetail } from '../transactions.js';
import { html, type Html, when } from './html.js';
import { layout } from './layout.js';
import { paymentHref, statusBadge } from './overview.js';

export interface PaymentStory extends TransactionDetail {
  attempts: Attempt[];
  requests: LoggedRequest[];
  events: Record<string, unknown>[];
}

interface Event {
  at: string;
  /** Orders events of the same instant: the request, then the answer, then what followed. */
  rank: number;
  view: Html;
}

export function paymentPage(story: PaymentStory, csrf: string, options: { notice?: string; canRedeliver: boolean }): Html {
  return layout(
    `${story.provider} ${story.id}`,
    html`<p class="crumbs"><a href="/admin">Overview</a> › ${story.provider} › ${story.id}</p>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
<section class="payment">
  <div class="head">
    <h1>${story.provider} payment ${story.id} ${statusBadge(story)}</h1>
    ${
      options.canRedeliver
        ? html`<form method="post" action="${paymentHref(story)}/redeliver">
      <input type="hidden" name="csrf" value="${csrf}">
      <button type="submit">Redeliver</button>
    </form>`
        : html`<p class="empty">No webhook URL is set for ${story.provider}: nothing to redeliver to.</p>`
    }
  </div>
  <dl class="facts">
    <div><dt>account</dt><dd class="mono">${story.account}</dd></div>
    <div><dt>code</dt><dd class="mono">${story.code}</dd></div>
    <div><dt>sum</dt><dd>${story.sum}</dd></div>
    <div><dt>received</dt><dd>${when(story.created_at)}</dd></div>
    <div><dt>delivered</dt><dd>${when(story.delivered_at)}</dd></div>
    <div><dt>attempts</dt><dd>${story.delivery_attempts}</dd></div>
    ${story.last_error ? html`<div><dt>last error</dt><dd class="error">${story.last_error}</dd></div>` : ''}
  </dl>
</section>
<section>
  <h2>Timeline</h2>
  <ol class="timeline">${timeline(story, options.canRedeliver).map((event) => event.view)}</ol>
</section>`,
    csrf,
  );
}

/** `delivering`: the provider has a webhook URL, so a pending payment has a next attempt. */
function timeline(story: PaymentStory, delivering: boolean): Event[] {
  const events: Event[] = [
    ...story.requests.map(requestEvent),
    {
      at: story.created_at ?? '',
      rank: 1,
      view: html`<li class="answer"><time>${when(story.created_at)}</time>
        <strong>Recorded</strong> as transaction ${story.id}, and only then answered to ${story.provider} as accepted.</li>`,
    },
    ...story.attempts.map(attemptEvent),
    ...story.events.map(laterEvent),
  ];
  const cancelledAt = story.details.cancelled_at as string | null | undefined;
  if (cancelledAt) {
    events.push({
      at: cancelledAt,
      rank: 3,
      view: html`<li class="cancelled"><time>${when(cancelledAt)}</time> <strong>Cancelled</strong> by the network:
        ${String(story.details.cancel_reason ?? '')}${story.status === 0 ? ', so it is not delivered as a payment' : ''}.</li>`,
    });
  } else if (story.status === 0 && !delivering) {
    const now = new Date().toISOString();
    events.push({
      at: now,
      rank: 3,
      view: html`<li class="next"><time>${when(now)}</time> <strong>Waiting</strong> for a webhook URL:
        ${story.provider.toUpperCase()}_WEBHOOK_URL is not set.</li>`,
    });
  } else if (story.status === 0 && story.next_attempt_at) {
    events.push({
      at: story.next_attempt_at,
      rank: 3,
      view: html`<li class="next"><time>${when(story.next_attempt_at)}</time> <strong>Next attempt</strong> due.</li>`,
    });
  }
  return events.sort((a, b) => a.at.localeCompare(b.at) || a.rank - b.rank);
}

function requestEvent(request: LoggedRequest): Event {
  return {
    at: request.created_at ?? '',
    rank: 0,
    view: html`<li class="request"><time>${when(request.created_at)}</time>
      <strong>Request</strong> from ${request.ip ?? '?'}: <code>${request.method ?? ''} ${request.url ?? ''}</code>
      ${request.body ? html`<details><summary>body</summary><pre>${request.body}</pre></details>` : ''}</li>`,
  };
}

function attemptEvent(attempt: Attempt): Event {
  const accepted = attempt.error === null;
  const outcome = attempt.response_status === null ? (attempt.error ?? 'no answer') : `HTTP ${attempt.response_status}`;
  return {
    at: attempt.created_at ?? '',
    rank: 2,
    view: html`<li class="attempt ${accepted ? 'ok' : 'failed'}" data-attempt="${attempt.attempt}"><time>${when(attempt.created_at)}</time>
      <strong>Delivery attempt ${attempt.attempt}</strong>: ${outcome}${accepted ? ', accepted' : ''} in ${attempt.duration_ms} ms
      to <code>${attempt.url}</code>
      ${!accepted && attempt.error && attempt.response_status !== null ? html`<span class="error">${attempt.error}</span>` : ''}
      ${attempt.response_excerpt ? html`<details><summary>answer</summary><pre>${attempt.response_excerpt}</pre></details>` : ''}</li>`,
  };
}

/** An event the network told about the payment later, and whether the merchant has it. */
function laterEvent(event: Record<string, unknown>): Event {
  const at = String(event.created_at ?? '');
  const amount = event.sum === null || event.sum === undefined ? '' : ` of ${event.sum}`;
  const delivery = event.status === 1 ? 'delivered' : `not delivered yet, ${event.delivery_attempts} attempts`;
  return {
    at,
    rank: 4,
    view: html`<li class="event"><time>${when(at)}</time>
      <strong>${String(event.type ?? 'Event')}</strong>${amount} (${delivery})</li>`,
  };
}
