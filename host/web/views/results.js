// A run's results: a table sorted by the server on any column (ticker, score, each
// metric), all/passed filter, paging, a CSV link for exactly what is shown, and a detail
// panel per ticker with its price chart and the reasons it passed or failed. The table's
// state lives in the URL (#/runs/<id>?sort=&order=&passed=&offset=&ticker=). Columns go
// ticker, score, passed, then the metric sorted by, then the other metrics, so what a user
// looks at is on screen at phone width too. An opened panel (by click or by ?ticker=) is
// scrolled into view, and its chart again once drawn.

import { api, urls } from '../api.js';
import { h, replace, setText, errorBox, fmtNum, fmtInt, tableWrap, hashFor, replaceHash, announce } from '../util.js';
import { priceChart } from '../chart.js';

const PAGE = 50;
const CHART_DAYS = 252;

export class ResultsPanel {
  constructor({ runId, run, query, signal }) {
    this.runId = runId;
    this.run = run;
    this.signal = signal;
    this.sort = query.get('sort') || 'score';
    this.order = query.get('order') === 'asc' || query.get('order') === 'desc' ? query.get('order') : defaultOrder(this.sort);
    this.passedOnly = query.get('passed') === 'true';
    this.offset = Math.max(0, Number(query.get('offset')) || 0);
    this.selected = query.get('ticker') || null;
    this.metricKeys = [];
    this.rows = [];
    this.total = 0;
    this.loading = null;
    this.chartController = null;

    this.summary = h('p', { class: 'results-summary', id: 'results-summary', role: 'status' });
    this.csvLink = h('a', { class: 'button', id: 'results-csv', download: `${runId}-results.csv` }, 'Download CSV');
    const radio = (value, label) => h('label', { class: 'seg__item' },
      h('input', { type: 'radio', name: 'results-filter', value, checked: (value === 'passed') === this.passedOnly, onchange: () => this.setFilter(value === 'passed') }),
      h('span', null, label));
    this.filter = h('fieldset', { class: 'seg', id: 'results-filter' },
      h('legend', { class: 'sr-only' }, 'Show'),
      radio('all', 'All'), radio('passed', 'Passed only'));
    this.tableHost = h('div', { class: 'results-table-host' });
    this.pager = h('div', { class: 'pager' });
    this.detail = h('div', { id: 'ticker-detail' });
    this.element = h('section', { class: 'section results', id: 'results', 'aria-labelledby': 'results-h' },
      h('div', { class: 'section-head' },
        h('h2', { id: 'results-h' }, 'Results'),
        h('div', { class: 'toolbar' }, this.filter, this.csvLink)),
      this.summary,
      this.tableHost,
      this.pager,
      this.detail);
  }

  destroy() {
    if (this.chartController) this.chartController.abort();
  }

  syncUrl() {
    replaceHash(hashFor(`/runs/${encodeURIComponent(this.runId)}`, {
      sort: this.sort !== 'score' || this.order !== 'desc' ? this.sort : null,
      order: this.sort !== 'score' || this.order !== 'desc' ? this.order : null,
      passed: this.passedOnly ? 'true' : null,
      offset: this.offset || null,
      ticker: this.selected,
    }));
  }

  query() {
    return { sort: this.sort, order: this.order, passed: this.passedOnly ? 'true' : null, limit: PAGE, offset: this.offset };
  }

  setFilter(passedOnly) {
    if (this.passedOnly === passedOnly) return;
    this.passedOnly = passedOnly;
    this.offset = 0;
    this.load();
  }

  setSort(key) {
    if (this.sort === key) this.order = this.order === 'asc' ? 'desc' : 'asc';
    else { this.sort = key; this.order = defaultOrder(key); }
    this.offset = 0;
    this.load({ focusSort: key });
  }

  async load({ focusSort = null } = {}) {
    this.syncUrl();
    const q = this.query();
    this.csvLink.href = urls.resultsCsv(this.runId, { sort: q.sort, order: q.order, passed: q.passed });
    this.element.setAttribute('aria-busy', 'true');
    const token = {};
    this.loading = token;
    try {
      const data = await api.results(this.runId, q, { signal: this.signal });
      if (this.signal.aborted || this.loading !== token) return;
      this.rows = (data && data.results) || [];
      this.total = data && Number.isFinite(data.total) ? data.total : this.rows.length;
      for (const row of this.rows) {
        for (const key of Object.keys(row.metrics || {})) if (!this.metricKeys.includes(key)) this.metricKeys.push(key);
      }
      this.renderTable(focusSort);
      if (this.selected && !this.detail.firstChild) this.openDetail(this.selected, { focus: false });
    } catch (e) {
      if (this.signal.aborted || this.loading !== token) return;
      replace(this.tableHost, errorBox(e, 'Could not load the results'));
    } finally {
      if (this.loading === token) this.element.removeAttribute('aria-busy');
    }
  }

  renderTable(focusSort) {
    const passedCount = this.run && this.run.passed_count !== undefined ? this.run.passed_count : null;
    const first = this.total ? this.offset + 1 : 0;
    const last = this.offset + this.rows.length;
    setText(this.summary, this.total
      ? `Showing ${fmtInt(first)}–${fmtInt(last)} of ${fmtInt(this.total)} ${this.passedOnly ? 'passed ' : ''}result${this.total === 1 ? '' : 's'}`
        + (passedCount !== null && !this.passedOnly ? ` · ${fmtInt(passedCount)} passed` : '')
        + ` · sorted by ${this.sort} ${this.order === 'asc' ? 'ascending' : 'descending'}`
      : this.passedOnly ? 'No ticker passed.' : 'This run has no results.');

    if (!this.rows.length) {
      replace(this.tableHost);
      replace(this.pager);
      return;
    }

    const metricOrder = [...this.metricKeys.filter((key) => key === this.sort), ...this.metricKeys.filter((key) => key !== this.sort)];
    const columns = [
      { key: 'ticker', label: 'Ticker' },
      { key: 'score', label: 'Score', num: true },
      { key: 'passed', label: 'Passed', sortable: false },
      ...metricOrder.map((key) => ({ key, label: key, num: true, metric: true })),
    ];
    const header = h('tr', null, columns.map((col) => {
      const active = this.sort === col.key;
      const ariaSort = active ? (this.order === 'asc' ? 'ascending' : 'descending') : null;
      if (col.sortable === false) return h('th', { scope: 'col', dataset: { col: col.key } }, col.label);
      return h('th', { scope: 'col', 'aria-sort': ariaSort, class: col.num ? 'num' : null, dataset: { col: col.key } },
        h('button', { type: 'button', class: 'sort', dataset: { sort: col.key }, onclick: () => this.setSort(col.key) },
          col.label,
          h('span', { class: 'sort__icon', 'aria-hidden': 'true' }, active ? (this.order === 'asc' ? '▲' : '▼') : '↕')));
    }));
    const body = h('tbody', null, this.rows.map((row) => {
      const tr = h('tr', {
        class: `result-row${row.passed ? ' result-row--passed' : ''}${row.ticker === this.selected ? ' is-selected' : ''}`,
        dataset: { ticker: row.ticker },
        onclick: (e) => { if (!e.target.closest('button')) this.openDetail(row.ticker); },
      },
      h('th', { scope: 'row', class: 'sticky' },
        h('button', { type: 'button', class: 'link-button mono', 'aria-label': `${row.ticker}: show chart and reasons`, onclick: () => this.openDetail(row.ticker) }, row.ticker)),
      h('td', { class: 'num', dataset: { col: 'score' } }, fmtNum(row.score)),
      h('td', { dataset: { col: 'passed' } }, row.passed ? h('span', { class: 'pass' }, '✓ passed') : h('span', { class: 'fail' }, '✗ failed')),
      metricOrder.map((key) => {
        const value = row.metrics ? row.metrics[key] : undefined;
        return h('td', { class: 'num', dataset: { col: key }, title: value === undefined || value === null ? '' : String(value) }, fmtNum(value));
      }));
      return tr;
    }));
    const table = h('table', { class: 'table table--results', id: 'results-table' },
      h('caption', { class: 'sr-only' }, `Results, sorted by ${this.sort} ${this.order === 'asc' ? 'ascending' : 'descending'}. Column headers are buttons that sort.`),
      h('thead', null, header), body);
    replace(this.tableHost, tableWrap('Results table', table));
    if (focusSort) {
      const button = table.querySelector(`button[data-sort="${CSS.escape(focusSort)}"]`);
      if (button) button.focus();
      announce(`Sorted by ${this.sort} ${this.order === 'asc' ? 'ascending' : 'descending'}`);
    }

    const pages = Math.ceil(this.total / PAGE);
    const page = Math.floor(this.offset / PAGE) + 1;
    replace(this.pager, pages > 1 ? [
      h('button', { type: 'button', class: 'button button--small', disabled: page <= 1, onclick: () => { this.offset = Math.max(0, this.offset - PAGE); this.load(); } }, '← Previous'),
      h('span', { class: 'pager__info' }, `Page ${page} of ${pages}`),
      h('button', { type: 'button', class: 'button button--small', disabled: page >= pages, onclick: () => { this.offset += PAGE; this.load(); } }, 'Next →'),
    ] : []);
  }

  async openDetail(ticker, { focus = true } = {}) {
    this.selected = ticker;
    this.syncUrl();
    for (const tr of this.tableHost.querySelectorAll('tr.result-row')) tr.classList.toggle('is-selected', tr.dataset.ticker === ticker);
    let row = this.rows.find((r) => r.ticker === ticker);
    const heading = h('h3', { tabindex: '-1', id: 'detail-h' }, ticker);
    const chartHost = h('div', { class: 'chart-host' }, h('p', { class: 'loading' }, 'Loading the price history…'));
    const reasonsHost = h('div', { class: 'reasons-host' });
    const close = h('button', {
      type: 'button',
      class: 'button button--small',
      onclick: () => {
        this.selected = null;
        this.syncUrl();
        replace(this.detail);
        for (const tr of this.tableHost.querySelectorAll('tr.result-row')) tr.classList.remove('is-selected');
        const back = this.tableHost.querySelector(`tr[data-ticker="${CSS.escape(ticker)}"] button`);
        if (back) back.focus();
      },
    }, 'Close');
    const panel = h('div', { class: 'card detail', role: 'region', 'aria-labelledby': 'detail-h' },
      h('div', { class: 'detail__head' }, heading, h('span', { class: 'detail__score' }), close),
      h('div', { class: 'detail__grid' }, chartHost, reasonsHost));
    replace(this.detail, panel);
    if (focus) heading.focus({ preventScroll: true });
    // Below a 50-row table the panel would open off-screen: bring it up, whether it was
    // opened by a click or by a ?ticker= link.
    panel.scrollIntoView({ block: 'start' });

    if (!row) {
      try {
        // Not on this page (e.g. opened from a link): find it in the full list.
        const data = await api.results(this.runId, { sort: 'ticker', order: 'asc', limit: 100000 }, { signal: this.signal });
        row = ((data && data.results) || []).find((r) => r.ticker === ticker);
      } catch { /* shown below */ }
    }
    if (this.selected !== ticker) return;
    const scoreEl = panel.querySelector('.detail__score');
    if (row) {
      replace(scoreEl, `score ${fmtNum(row.score)} · `, row.passed ? h('span', { class: 'pass' }, '✓ passed') : h('span', { class: 'fail' }, '✗ failed'));
      replace(reasonsHost, reasonsList(row));
    } else {
      replace(reasonsHost, h('p', { class: 'muted' }, `${ticker} is not among this run's results.`));
    }

    if (this.chartController) this.chartController.abort();
    const controller = new AbortController();
    this.chartController = controller;
    this.signal.addEventListener('abort', () => controller.abort(), { once: true });
    try {
      // Ask for enough history that SMA200 covers the whole visible year.
      const data = await api.bars(this.runId, ticker, CHART_DAYS + 200, { signal: controller.signal });
      if (controller.signal.aborted || this.selected !== ticker) return;
      const bars = (data && data.bars) || [];
      replace(chartHost, bars.length ? priceChart(bars, { ticker, visible: CHART_DAYS, width: chartHost.clientWidth }) : h('p', { class: 'muted' }, `No price history for ${ticker}.`));
      chartHost.classList.add('chart-host--ready');
      chartHost.scrollIntoView({ block: 'nearest' }); // no-op when already on screen
    } catch (e) {
      if (controller.signal.aborted || (e && e.name === 'AbortError')) return;
      replace(chartHost, h('p', { class: 'muted chart-missing' },
        e.status === 404 ? `No price history is available for ${ticker} from this server.` : `The price chart could not be loaded: ${e.message}`));
      chartHost.classList.add('chart-host--ready');
    }
  }
}

function defaultOrder(key) {
  return key === 'ticker' ? 'asc' : 'desc';
}

function reasonsList(row) {
  const reasons = row.reasons || [];
  const metrics = Object.entries(row.metrics || {});
  return h('div', null,
    h('h4', null, row.passed ? 'Why it passed' : 'Why it failed'),
    reasons.length
      ? h('ul', { class: 'reasons', id: 'reasons' }, reasons.map((text) => {
        const good = /^\+\s*/.test(text);
        const bad = /^[-−]\s*/.test(text);
        return h('li', { class: good ? 'reason reason--good' : bad ? 'reason reason--bad' : 'reason' },
          h('span', { class: 'reason__mark', 'aria-hidden': 'true' }, good ? '✓' : bad ? '✗' : '•'),
          h('span', { class: 'sr-only' }, good ? 'met: ' : bad ? 'not met: ' : ''),
          text.replace(/^[+\-−]\s*/, ''));
      }))
      : h('p', { class: 'muted' }, 'The strategy gave no reasons.'),
    metrics.length ? h('details', { class: 'metrics-details' },
      h('summary', null, 'All metrics'),
      h('dl', { class: 'facts facts--params' }, metrics.map(([k, v]) => h('div', null, h('dt', { class: 'mono' }, k), h('dd', { class: 'mono' }, fmtNum(v)))))) : null);
}
