import type { Incident } from '../../alerts/index.js';
import type { ProviderStats } from '../stats.js';
import type { TransactionItem } from '../transactions.js';
import { age, html, type Html, when } from './html.js';
import { layout } from './layout.js';

export interface OverviewData {
  stats: ProviderStats[];
  /** Late webhooks the alerts are about (docs/operations.md, Alerts). */
  incidents: Incident[];
  search?: string;
  found?: TransactionItem[];
  recent: TransactionItem[];
  failures: TransactionItem[];
  csrf: string;
  /** Each instance's name for people (its protocol's title). */
  titles: Record<string, string>;
}

export function overviewPage(data: OverviewData): Html {
  return layout(
    'Overview',
    html`<section class="cards">${data.stats.map((stats) => statsCard(stats, data.titles[stats.provider] ?? stats.provider))}</section>
<section>
  <form method="get" action="/admin" class="search" role="search">
    <label for="q">Find a payment</label>
    <input id="q" name="q" type="search" value="${data.search ?? ''}" placeholder="account or code" maxlength="200">
    <button type="submit">Search</button>
  </form>
  ${data.found ? html`<h2>Payments for “${data.search ?? ''}”</h2>${transactionTable(data.found, 'No payment has this account or code.')}` : ''}
</section>
${data.incidents.length ? incidentList(data.incidents) : ''}
<section>
  <h2>Recent failures</h2>
  ${transactionTable(data.failures, 'No payment is waiting after a failed attempt.', true)}
</section>
<section>
  <h2>Latest payments</h2>
  ${transactionTable(data.recent, 'No payments yet.')}
</section>`,
    data.csrf,
  );
}

function incidentList(incidents: Incident[]): Html {
  return html`<section class="incidents">
  <h2>Open incidents</h2>
  <table>
    <thead><tr><th>webhook URL</th><th>providers</th><th>why</th><th>since</th><th>pending</th><th>last error</th></tr></thead>
    <tbody>${incidents.map(
      (incident) => html`<tr data-incident="${incident.id}">
      <td>${incident.url}</td><td>${incident.providers.join(', ')}</td><td>${incident.reason}</td>
      <td>${age((Date.now() - incident.startedAt.getTime()) / 1000)}</td><td>${incident.pending}</td><td>${incident.lastError ?? ''}</td>
    </tr>`,
    )}</tbody>
  </table>
</section>`;
}

function statsCard(stats: ProviderStats, title: string): Html {
  return html`<article class="card" data-provider="${stats.provider}">
  <h2>${title}</h2>
  <dl>
    <div><dt>received</dt><dd data-stat="received">${stats.received}</dd></div>
    <div><dt>delivered</dt><dd data-stat="delivered">${stats.delivered}</dd></div>
    <div><dt>pending</dt><dd data-stat="pending" class="${stats.pending > 0 ? 'warn' : ''}">${stats.pending}</dd></div>
    <div><dt>oldest pending</dt><dd data-stat="oldest">${age(stats.oldest_pending_seconds)}</dd></div>
  </dl>
</article>`;
}

export function paymentHref(item: Pick<TransactionItem, 'provider' | 'id'>): string {
  return `/admin/payments/${encodeURIComponent(item.provider)}/${encodeURIComponent(item.id)}`;
}

export function statusBadge(item: Pick<TransactionItem, 'status'>): Html {
  return item.status === 1 ? html`<span class="badge ok">delivered</span>` : html`<span class="badge wait">pending</span>`;
}

function transactionTable(items: TransactionItem[], empty: string, withError = false): Html {
  if (items.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<table>
  <thead><tr><th>received</th><th>provider</th><th>id</th><th>account</th><th>code</th><th class="num">sum</th><th>status</th><th class="num">attempts</th>${withError ? html`<th>last error</th>` : ''}</tr></thead>
  <tbody>${items.map(
    (item) => html`<tr>
    <td>${when(item.created_at)}</td><td>${item.provider}</td>
    <td><a href="${paymentHref(item)}">${item.id}</a></td>
    <td class="mono">${item.account}</td><td class="mono">${item.code}</td><td class="num">${item.sum}</td>
    <td>${statusBadge(item)}</td><td class="num">${item.delivery_attempts}</td>
    ${withError ? html`<td class="error">${item.last_error ?? ''}</td>` : ''}
  </tr>`,
  )}</tbody>
</table>`;
}
