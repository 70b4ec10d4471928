// History: past runs, newest first, filtered by strategy and status (kept in the URL:
// #/history?strategy=&status=&offset=). Pick two runs of one strategy to compare them.

import { api } from '../api.js';
import {
  h, replace, setText, errorBox, pageTitle, statusBadge, timeEl, shortId, fmtDuration, fmtInt, tableWrap, hashFor, STATUSES,
} from '../util.js';

const PAGE = 25;

export function mountHistory(container, { query, signal }) {
  pageTitle('History');
  const strategy = query.get('strategy') || '';
  const status = query.get('status') || '';
  const offset = Math.max(0, Number(query.get('offset')) || 0);

  const strategySelect = h('select', { id: 'filter-strategy', name: 'strategy' }, h('option', { value: '' }, 'All strategies'),
    strategy ? h('option', { value: strategy, selected: true }, strategy) : null);
  const statusSelect = h('select', { id: 'filter-status', name: 'status', value: status },
    h('option', { value: '' }, 'Any status'), STATUSES.map((s) => h('option', { value: s }, s)));
  const go = (extra = {}) => {
    location.hash = hashFor('/history', { strategy: strategySelect.value, status: statusSelect.value, ...extra });
  };
  strategySelect.addEventListener('change', () => go());
  statusSelect.addEventListener('change', () => go());

  const compareBtn = h('button', { type: 'button', class: 'button button--primary', id: 'compare-selected', disabled: true }, 'Compare selected');
  const compareHint = h('span', { class: 'muted small', id: 'compare-hint', role: 'status' }, 'Select two runs of the same strategy.');
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading runs…'));
  const selected = new Map();

  replace(container,
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'History'), h('p', { class: 'lede' }, 'Every run, newest first.')),
    h('form', { class: 'filters card', role: 'search', 'aria-label': 'Filter runs', onsubmit: (e) => { e.preventDefault(); go(); } },
      h('div', { class: 'field' }, h('label', { for: 'filter-strategy', class: 'field__label' }, 'Strategy'), strategySelect),
      h('div', { class: 'field' }, h('label', { for: 'filter-status', class: 'field__label' }, 'Status'), statusSelect),
      h('div', { class: 'filters__actions' },
        h('button', { type: 'submit', class: 'button' }, 'Apply'),
        h('a', { class: 'button button--quiet', href: '#/history' }, 'Clear'),
        h('button', { type: 'button', class: 'button button--quiet', onclick: () => load() }, 'Refresh'))),
    h('div', { class: 'toolbar toolbar--spread' }, h('div', null, compareBtn, ' ', compareHint)),
    body);

  compareBtn.addEventListener('click', () => {
    const [a, b] = [...selected.values()].sort((x, y) => String(x.created_at).localeCompare(String(y.created_at)));
    location.hash = hashFor('/compare', { a: a.run_id, b: b.run_id });
  });

  function updateCompare() {
    const runs = [...selected.values()];
    const same = runs.length === 2 && runs[0].strategy_code === runs[1].strategy_code;
    compareBtn.disabled = !same;
    setText(compareHint, runs.length < 2 ? `Select ${2 - runs.length} more run${runs.length === 1 ? '' : 's'} of the same strategy.`
      : same ? 'Ready to compare.' : 'The two runs must be of the same strategy.');
  }

  api.strategies({ signal }).then((data) => {
    if (signal.aborted) return;
    const codes = new Set(((data && data.strategies) || []).map((s) => s.code));
    if (strategy) codes.add(strategy);
    replace(strategySelect, h('option', { value: '' }, 'All strategies'), [...codes].sort().map((c) => h('option', { value: c }, c)));
    strategySelect.value = strategy;
  }).catch(() => { /* the free list stays */ });

  async function load() {
    try {
      const data = await api.runs({ strategy_code: strategy, status, limit: PAGE, offset }, { signal });
      if (signal.aborted) return;
      const runs = (data && data.runs) || [];
      const total = data && Number.isFinite(data.total) ? data.total : runs.length;
      if (!runs.length) {
        replace(body, h('p', { class: 'notice', id: 'history-empty' }, strategy || status ? 'No run matches these filters.' : 'No runs yet. ', !strategy && !status ? h('a', { href: '#/strategies' }, 'Start one') : null));
        return;
      }
      const table = h('table', { class: 'table', id: 'history-table' },
        h('caption', { class: 'sr-only' }, 'Runs, newest first'),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Select to compare')),
          h('th', { scope: 'col' }, 'Run'),
          h('th', { scope: 'col' }, 'Strategy'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Created'),
          h('th', { scope: 'col', class: 'num' }, 'Duration'),
          h('th', { scope: 'col', class: 'num' }, 'Tickers'),
          h('th', { scope: 'col', class: 'num' }, 'Passed'),
          h('th', { scope: 'col' }, 'Priority'),
          h('th', { scope: 'col' }, 'Source'))),
        h('tbody', null, runs.map((r) => {
          const box = h('input', {
            type: 'checkbox',
            'aria-label': `Select run ${shortId(r.run_id)} to compare`,
            checked: selected.has(r.run_id),
            onchange: () => {
              if (box.checked) selected.set(r.run_id, r); else selected.delete(r.run_id);
              if (selected.size > 2) {
                const [first] = selected.keys();
                selected.delete(first);
                const other = table.querySelector(`tr[data-run-id="${CSS.escape(first)}"] input`);
                if (other) other.checked = false;
              }
              updateCompare();
            },
          });
          return h('tr', { dataset: { runId: r.run_id, status: r.status, strategy: r.strategy_code } },
            h('td', null, box),
            h('td', null, h('a', { class: 'mono', href: `#/runs/${encodeURIComponent(r.run_id)}` }, shortId(r.run_id))),
            h('td', null, r.strategy_code, r.plugin_version ? h('span', { class: 'muted small' }, ` v${r.plugin_version}`) : ''),
            h('td', null, statusBadge(r.status), r.error && r.error.code ? h('span', { class: 'muted small', title: r.error.message || '' }, ` ${r.error.code}`) : ''),
            h('td', null, timeEl(r.created_at)),
            h('td', { class: 'num' }, fmtDuration(r.duration_seconds)),
            h('td', { class: 'num' }, r.total_items !== null && r.total_items !== undefined ? `${fmtInt(r.completed_items)}/${fmtInt(r.total_items)}` : '—'),
            h('td', { class: 'num' }, `${fmtInt(r.passed_count)}`, h('span', { class: 'muted small' }, ` of ${fmtInt(r.result_count)}`)),
            h('td', null, r.priority || '—'),
            h('td', null, r.source || '—'));
        })));
      const pages = Math.ceil(total / PAGE);
      const page = Math.floor(offset / PAGE) + 1;
      replace(body,
        h('p', { class: 'muted', id: 'history-count' }, `${fmtInt(total)} run${total === 1 ? '' : 's'}`),
        tableWrap('Run history', table),
        pages > 1 ? h('div', { class: 'pager' },
          page > 1 ? h('a', { class: 'button button--small', href: hashFor('/history', { strategy, status, offset: Math.max(0, offset - PAGE) }) }, '← Newer') : null,
          h('span', { class: 'pager__info' }, `Page ${page} of ${pages}`),
          page < pages ? h('a', { class: 'button button--small', href: hashFor('/history', { strategy, status, offset: offset + PAGE }) }, 'Older →') : null) : null);
    } catch (e) {
      if (!signal.aborted) replace(body, errorBox(e, 'Could not load the runs'));
    }
  }

  load();
  return () => {};
}
