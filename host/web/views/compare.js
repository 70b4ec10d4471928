// Compare two runs of the same strategy (#/compare?a=<older>&b=<newer>): tickers that
// newly passed, tickers that dropped out, and score changes; plus what parameters differ.
// Without both ids, a picker of completed runs.

import { api, allResults } from '../api.js';
import {
  h, replace, errorBox, pageTitle, statusBadge, timeEl, shortId, fmtNum, fmtInt, tableWrap, hashFor, dl,
} from '../util.js';

const SHOW = 100;

export function mountCompare(container, { query, signal }) {
  pageTitle('Compare runs');
  const a = query.get('a');
  const b = query.get('b');
  const body = h('div', null);
  replace(container,
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Compare runs'),
      h('p', { class: 'lede' }, 'Two runs of the same strategy: who newly passed, who dropped out, how scores moved.')),
    picker(a, b, signal),
    body);
  if (a && b) compare(body, a, b, signal);
  return () => {};
}

function picker(a, b, signal) {
  const strategySelect = h('select', { id: 'compare-strategy' }, h('option', { value: '' }, 'Loading…'));
  const aSelect = h('select', { id: 'compare-a', name: 'a' });
  const bSelect = h('select', { id: 'compare-b', name: 'b' });
  const submit = h('button', { type: 'submit', class: 'button button--primary' }, 'Compare');
  const note = h('p', { class: 'muted small', role: 'status' });
  const form = h('form', { class: 'filters card', 'aria-label': 'Choose two runs', onsubmit: (e) => {
    e.preventDefault();
    if (!aSelect.value || !bSelect.value) return;
    location.hash = hashFor('/compare', { a: aSelect.value, b: bSelect.value });
  } },
  h('div', { class: 'field' }, h('label', { for: 'compare-strategy', class: 'field__label' }, 'Strategy'), strategySelect),
  h('div', { class: 'field' }, h('label', { for: 'compare-a', class: 'field__label' }, 'Baseline run (A)'), aSelect),
  h('div', { class: 'field' }, h('label', { for: 'compare-b', class: 'field__label' }, 'Compared run (B)'), bSelect),
  h('div', { class: 'filters__actions' }, submit),
  note);

  const label = (r) => `${shortId(r.run_id)} · ${new Date(r.created_at).toLocaleString()} · ${r.passed_count ?? '?'} passed`;
  async function loadRuns(code, keepA, keepB) {
    replace(aSelect); replace(bSelect);
    if (!code) return;
    try {
      const data = await api.runs({ strategy_code: code, status: 'completed', limit: 50 }, { signal });
      if (signal.aborted) return;
      const runs = (data && data.runs) || [];
      replace(aSelect, runs.map((r) => h('option', { value: r.run_id }, label(r))));
      replace(bSelect, runs.map((r) => h('option', { value: r.run_id }, label(r))));
      if (runs.length >= 2) {
        aSelect.value = keepA && runs.some((r) => r.run_id === keepA) ? keepA : runs[1].run_id;
        bSelect.value = keepB && runs.some((r) => r.run_id === keepB) ? keepB : runs[0].run_id;
        note.textContent = '';
        submit.disabled = false;
      } else {
        note.textContent = `${code} needs at least two completed runs to compare.`;
        submit.disabled = true;
      }
    } catch (e) {
      note.textContent = `Could not load the runs: ${e.message}`;
    }
  }
  strategySelect.addEventListener('change', () => loadRuns(strategySelect.value));

  (async () => {
    try {
      const [strategies, runA] = await Promise.all([
        api.strategies({ signal }),
        a ? api.run(a, { signal }).catch(() => null) : Promise.resolve(null),
      ]);
      if (signal.aborted) return;
      const codes = ((strategies && strategies.strategies) || []).map((s) => s.code);
      replace(strategySelect, h('option', { value: '' }, 'Choose a strategy'), codes.map((c) => h('option', { value: c }, c)));
      const code = runA ? runA.strategy_code : codes[0];
      if (code) {
        strategySelect.value = code;
        loadRuns(code, a, b);
      }
    } catch (e) {
      note.textContent = `Could not load the strategies: ${e.message}`;
    }
  })();
  return form;
}

async function compare(body, aId, bId, signal) {
  replace(body, h('p', { class: 'loading' }, 'Loading both runs and their results…'));
  let runA;
  let runB;
  let rowsA;
  let rowsB;
  try {
    [runA, runB, rowsA, rowsB] = await Promise.all([
      api.run(aId, { signal }), api.run(bId, { signal }), allResults(aId, { signal }), allResults(bId, { signal }),
    ]);
  } catch (e) {
    if (!signal.aborted) replace(body, errorBox(e, 'Could not load the runs'));
    return;
  }
  if (signal.aborted) return;
  if (runA.strategy_code !== runB.strategy_code) {
    replace(body, h('div', { class: 'notice notice--error', role: 'alert' },
      `These runs are of different strategies (${runA.strategy_code} and ${runB.strategy_code}); pick two runs of the same strategy.`));
    return;
  }

  const mapA = new Map(rowsA.map((r) => [r.ticker, r]));
  const mapB = new Map(rowsB.map((r) => [r.ticker, r]));
  const entrants = rowsB.filter((r) => r.passed && !(mapA.get(r.ticker) || {}).passed)
    .map((r) => ({ ticker: r.ticker, before: mapA.get(r.ticker), after: r }));
  const dropouts = rowsA.filter((r) => r.passed && !(mapB.get(r.ticker) || {}).passed)
    .map((r) => ({ ticker: r.ticker, before: r, after: mapB.get(r.ticker) }));
  const changes = [];
  for (const [ticker, after] of mapB) {
    const before = mapA.get(ticker);
    if (!before) continue;
    const delta = scoreDelta(before, after);
    if (delta !== null && delta !== 0) changes.push({ ticker, before, after, delta });
  }
  changes.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || x.ticker.localeCompare(y.ticker));
  const passedA = rowsA.filter((r) => r.passed).length;
  const passedB = rowsB.filter((r) => r.passed).length;
  const stayed = rowsB.filter((r) => r.passed && (mapA.get(r.ticker) || {}).passed).length;

  const swap = h('a', { class: 'button button--small', href: hashFor('/compare', { a: bId, b: aId }) }, 'Swap A and B');
  replace(body,
    h('div', { class: 'compare-runs' },
      runCard('A', runA, passedA, rowsA.length),
      runCard('B', runB, passedB, rowsB.length)),
    h('p', null, swap),
    paramDiff(runA, runB),
    h('ul', { class: 'stat-cards', id: 'compare-summary', 'aria-label': 'Summary' },
      statCard('New entrants', entrants.length, 'passed in B, not in A', 'good'),
      statCard('Dropouts', dropouts.length, 'passed in A, not in B', 'bad'),
      statCard('Still passing', stayed, 'passed in both', ''),
      statCard('Score changes', changes.length, 'tickers whose score moved', '')),
    diffSection('entrants', 'New entrants', entrants, runB.run_id, 'No ticker newly passed.'),
    diffSection('dropouts', 'Dropouts', dropouts, runA.run_id, 'No ticker dropped out.'),
    diffSection('changes', 'Score changes', changes, runB.run_id, 'No score changed.'));
}

function scoreDelta(before, after) {
  const x = before && before.score;
  const y = after && after.score;
  if (x === null || x === undefined || y === null || y === undefined) return null;
  return Number(y) - Number(x);
}

function runCard(letter, r, passed, total) {
  return h('div', { class: 'card run-card', dataset: { letter } },
    h('h2', { class: 'card__title' }, `${letter}: `, h('a', { class: 'mono', href: `#/runs/${encodeURIComponent(r.run_id)}` }, shortId(r.run_id)), ' ', statusBadge(r.status)),
    dl([
      ['Strategy', `${r.strategy_code}${r.plugin_version ? ` v${r.plugin_version}` : ''}`],
      ['Created', timeEl(r.created_at)],
      ['Passed', `${fmtInt(passed)} of ${fmtInt(total)}`],
    ]));
}

function paramDiff(runA, runB) {
  const pa = runA.parameters || {};
  const pb = runB.parameters || {};
  const keys = [...new Set([...Object.keys(pa), ...Object.keys(pb)])];
  const differ = keys.filter((k) => JSON.stringify(pa[k]) !== JSON.stringify(pb[k]));
  if (!differ.length) return h('p', { class: 'muted' }, 'Both runs used the same parameters.');
  return h('section', { class: 'section' }, h('h2', null, 'Parameters that differ'),
    tableWrap('Parameters that differ', h('table', { class: 'table', id: 'param-diff' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Parameter'), h('th', { scope: 'col' }, 'A'), h('th', { scope: 'col' }, 'B'))),
      h('tbody', null, differ.map((k) => h('tr', null,
        h('th', { scope: 'row', class: 'mono' }, k), h('td', { class: 'mono' }, show(pa[k])), h('td', { class: 'mono' }, show(pb[k]))))))));
}

function show(v) {
  if (v === undefined) return '—';
  return Array.isArray(v) ? (v.length ? v.join(', ') : '[]') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

function statCard(label, value, hint, tone) {
  return h('li', { class: `stat-card${tone ? ` stat-card--${tone}` : ''}` },
    h('span', { class: 'stat-card__value' }, fmtInt(value)),
    h('span', { class: 'stat-card__label' }, label),
    h('span', { class: 'stat-card__hint' }, hint));
}

function passedText(row) {
  if (!row) return h('span', { class: 'muted' }, 'not screened');
  return row.passed ? h('span', { class: 'pass' }, '✓') : h('span', { class: 'fail' }, '✗');
}

function diffSection(id, title, items, linkRun, empty) {
  const section = h('section', { class: 'section', id: `compare-${id}`, 'aria-labelledby': `compare-${id}-h` },
    h('h2', { id: `compare-${id}-h` }, title, ' ', h('span', { class: 'count' }, `(${items.length})`)));
  if (!items.length) {
    section.append(h('p', { class: 'muted' }, empty));
    return section;
  }
  const tbody = h('tbody');
  const renderRows = (limit) => replace(tbody, items.slice(0, limit).map((it) => {
    const delta = it.delta !== undefined ? it.delta : scoreDelta(it.before, it.after);
    return h('tr', { dataset: { ticker: it.ticker } },
      h('th', { scope: 'row' }, h('a', { class: 'mono', href: hashFor(`/runs/${encodeURIComponent(linkRun)}`, { ticker: it.ticker }) }, it.ticker)),
      h('td', { class: 'num' }, it.before ? fmtNum(it.before.score) : '—'),
      h('td', { class: 'num' }, it.after ? fmtNum(it.after.score) : '—'),
      h('td', { class: `num ${delta > 0 ? 'up' : delta < 0 ? 'down' : ''}` }, delta === null ? '—' : `${delta > 0 ? '+' : ''}${fmtNum(delta)}`),
      h('td', null, passedText(it.before), ' → ', passedText(it.after)));
  }));
  renderRows(SHOW);
  section.append(tableWrap(title, h('table', { class: 'table' },
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Ticker'),
      h('th', { scope: 'col', class: 'num' }, 'Score A'),
      h('th', { scope: 'col', class: 'num' }, 'Score B'),
      h('th', { scope: 'col', class: 'num' }, 'Change'),
      h('th', { scope: 'col' }, 'Passed A → B'))),
    tbody)));
  if (items.length > SHOW) {
    const more = h('button', { type: 'button', class: 'button button--small', onclick: () => { renderRows(items.length); more.remove(); } },
      `Show all ${fmtInt(items.length)}`);
    section.append(more);
  }
  return section;
}
