// Queue: running and queued runs, live from the tab's one /api/events stream, with
// position, priority, estimated start, progress and a Cancel button each. Positions and
// estimates come from GET /api/strategies/queue, refetched when the set of runs changes.
// Rows are updated in place so a focused Cancel button keeps its focus. Cancel asks once
// more in the row (Yes, cancel / Keep). At phone width the optional columns (`col-opt`:
// position, strategy, priority, start) are hidden so run, status, progress and Cancel fit.

import { api } from '../api.js';
import { runHub } from '../live.js';
import { serverStatus } from '../server_status.js';
import {
  h, replace, setText, pageTitle, statusBadge, timeEl, shortId, fmtPercent, isTerminal, debounce, tableWrap, announce, fmtInt,
} from '../util.js';

const RECENT = 10;

export function mountQueue(container, { signal }) {
  pageTitle('Queue');
  const summary = h('p', { class: 'lede', id: 'queue-summary', role: 'status' }, 'Connecting…');
  const modeEl = h('span', { class: 'conn', id: 'queue-connection' });
  const activeBody = h('tbody');
  const emptyActive = h('p', { class: 'muted', id: 'queue-empty', hidden: true }, 'Nothing is running or waiting. ', h('a', { href: '#/strategies' }, 'Start a run'), '.');
  const activeTable = h('table', { class: 'table', id: 'queue-table' },
    h('thead', null, h('tr', null,
      h('th', { scope: 'col', class: 'num col-opt', dataset: { col: 'position' } }, 'Position'),
      h('th', { scope: 'col', dataset: { col: 'run' } }, 'Run'),
      h('th', { scope: 'col', class: 'col-opt', dataset: { col: 'strategy' } }, 'Strategy'),
      h('th', { scope: 'col', dataset: { col: 'status' } }, 'Status'),
      h('th', { scope: 'col', class: 'col-opt', dataset: { col: 'priority' } }, 'Priority'),
      h('th', { scope: 'col', dataset: { col: 'progress' } }, 'Progress'),
      h('th', { scope: 'col', class: 'col-opt', dataset: { col: 'start' } }, 'Started / est. start'),
      h('th', { scope: 'col', dataset: { col: 'actions' } }, h('span', { class: 'sr-only' }, 'Actions')))),
    activeBody);
  const activeWrap = tableWrap('Running and queued runs', activeTable);
  const recentList = h('ul', { class: 'plain-list', id: 'recent-finished' });
  const recentSection = h('section', { class: 'section', 'aria-labelledby': 'recent-finished-h', hidden: true },
    h('h2', { id: 'recent-finished-h' }, 'Finished while you watched'), recentList);
  const message = h('p', { class: 'muted', role: 'status', id: 'queue-message' });

  replace(container,
    h('div', { class: 'page-head page-head--row' },
      h('div', null, h('h1', { tabindex: '-1' }, 'Queue'), summary),
      modeEl),
    message,
    activeWrap,
    emptyActive,
    recentSection);

  let queueInfo = new Map(); // run_id → queue entry (position, estimated_start)
  let maxConcurrent = null;
  let totalQueued = null;
  const rows = new Map(); // run_id → {tr, cells, cancel}
  const finishedHere = new Map();
  let lastActiveKey = '';

  async function refreshQueue() {
    try {
      const q = await api.queue({ signal });
      if (signal.aborted) return;
      queueInfo = new Map(((q && q.queue) || []).map((e) => [e.run_id, e]));
      maxConcurrent = q ? q.max_concurrent : null;
      totalQueued = q ? q.total_queued : null;
      // Runs the hub has not told us about yet (e.g. before its snapshot).
      for (const entry of queueInfo.values()) {
        if (!runHub.runs.has(entry.run_id)) runHub.runs.set(entry.run_id, { ...entry });
      }
      render();
    } catch (e) {
      if (!signal.aborted) setText(message, `Could not load the queue: ${e.message}`);
    }
  }
  const refreshSoon = debounce(refreshQueue, 150);

  function activeRuns() {
    const runs = runHub.activeRuns();
    const pos = (r) => {
      const e = queueInfo.get(r.run_id);
      return e && Number.isFinite(e.position) ? e.position : Number.MAX_SAFE_INTEGER;
    };
    const running = (r) => (r.status === 'queued' ? 1 : 0);
    return runs.sort((a, b) => running(a) - running(b) || pos(a) - pos(b) || String(a.created_at || '').localeCompare(String(b.created_at || '')));
  }

  function makeRow(run) {
    const phoneStrategy = h('span', { class: 'small muted phone-only' });
    const cells = {
      position: h('td', { class: 'num col-opt', dataset: { col: 'position' } }),
      run: h('td', { dataset: { col: 'run' } },
        h('a', { class: 'mono', href: `#/runs/${encodeURIComponent(run.run_id)}` }, shortId(run.run_id)), phoneStrategy),
      strategy: h('td', { class: 'col-opt', dataset: { col: 'strategy' } }),
      status: h('td', { dataset: { col: 'status' } }),
      priority: h('td', { class: 'col-opt', dataset: { col: 'priority' } }),
      progress: h('td', { class: 'cell-progress', dataset: { col: 'progress' } }),
      start: h('td', { class: 'col-opt', dataset: { col: 'start' } }),
    };
    const bar = h('div', { class: 'progress__bar' });
    const progress = h('div', { class: 'progress progress--small', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-label': `Progress of run ${shortId(run.run_id)}` }, bar);
    const pct = h('span', { class: 'small' });
    cells.progress.append(progress, pct);
    const label = `run ${shortId(run.run_id)} (${run.strategy_code || ''})`;
    const row = { cells, bar, progress, pct, phoneStrategy, statusKey: null, startKey: null };
    row.cancel = h('button', {
      type: 'button',
      class: 'button button--small button--danger',
      dataset: { action: 'cancel' },
      'aria-label': `Cancel ${label}`,
      onclick: () => askCancel(row),
    }, 'Cancel');
    row.confirm = h('button', {
      type: 'button',
      class: 'button button--small button--danger button--solid',
      dataset: { action: 'confirm-cancel' },
      'aria-label': `Yes, cancel ${label}`,
      hidden: true,
      onclick: () => cancelRun(run.run_id, row),
    }, 'Yes, cancel');
    row.keep = h('button', {
      type: 'button',
      class: 'button button--small',
      dataset: { action: 'keep' },
      'aria-label': `Keep ${label}`,
      hidden: true,
      onclick: () => closeAsk(row, true),
    }, 'Keep');
    row.tr = h('tr', { dataset: { runId: run.run_id } }, cells.position, cells.run, cells.strategy, cells.status, cells.priority, cells.progress, cells.start,
      h('td', { class: 'cell-actions', dataset: { col: 'actions' } }, row.cancel, row.confirm, row.keep));
    return row;
  }

  function askCancel(row) {
    row.cancel.hidden = true;
    row.confirm.hidden = false;
    row.keep.hidden = false;
    row.keep.focus();
  }

  function closeAsk(row, refocus) {
    row.cancel.hidden = false;
    row.confirm.hidden = true;
    row.keep.hidden = true;
    if (refocus) row.cancel.focus();
  }

  function updateRow(row, run) {
    const entry = queueInfo.get(run.run_id) || {};
    const status0 = run.status || entry.status;
    // The seed numbers running runs 0 and queued ones from 1.
    setText(row.cells.position, status0 !== 'queued' ? 'now' : entry.position !== undefined && entry.position !== null ? String(entry.position) : '—');
    row.cells.position.title = status0 !== 'queued' ? 'running now' : '';
    setText(row.cells.strategy, run.strategy_code || entry.strategy_code || '—');
    setText(row.phoneStrategy, run.strategy_code || entry.strategy_code || '');
    const status = run.status || entry.status;
    if (row.statusKey !== status) { replace(row.cells.status, statusBadge(status)); row.statusKey = status; }
    setText(row.cells.priority, run.priority || entry.priority || '—');
    const pctValue = Number(run.progress_percent ?? entry.progress_percent ?? 0) || 0;
    row.bar.style.width = `${Math.max(0, Math.min(100, pctValue))}%`;
    row.progress.setAttribute('aria-valuenow', pctValue.toFixed(1));
    if (status === 'queued') {
      // Nothing done yet: where it waits says more than "0.0 % · 0/1".
      row.progress.hidden = true;
      const position = entry.position !== undefined && entry.position !== null ? ` · position ${entry.position}` : '';
      setText(row.pct, `queued${position}`);
    } else {
      row.progress.hidden = false;
      const counts = run.total_items ? ` · ${fmtInt(run.completed_items ?? 0)}/${fmtInt(run.total_items)}` : '';
      setText(row.pct, `${fmtPercent(pctValue)}${counts}`);
    }
    const started = run.started_at || entry.started_at;
    const startKey = started ? `s${started}` : `e${entry.estimated_start || ''}`;
    if (row.startKey !== startKey) {
      row.startKey = startKey;
      replace(row.cells.start, started ? ['started ', timeEl(started)]
        : entry.estimated_start ? ['est. ', timeEl(entry.estimated_start)]
          : h('span', { class: 'muted', title: 'the server has no estimate yet' }, 'waiting'));
    }
  }

  function render() {
    if (signal.aborted) return;
    const runs = activeRuns();
    const ids = runs.map((r) => r.run_id);
    for (const [id, row] of rows) {
      if (!ids.includes(id)) { row.tr.remove(); rows.delete(id); }
    }
    runs.forEach((run, i) => {
      let row = rows.get(run.run_id);
      if (!row) { row = makeRow(run); rows.set(run.run_id, row); }
      updateRow(row, run);
      // Move only when out of place, so focus inside the row survives updates.
      if (activeBody.children[i] !== row.tr) activeBody.insertBefore(row.tr, activeBody.children[i] || null);
    });
    // Never "Live" (nor "nothing is running") while the server does not answer.
    const lost = serverStatus.state.contact === 'lost';
    activeWrap.hidden = runs.length === 0;
    emptyActive.hidden = runs.length !== 0 || !runHub.ready || lost;
    const running = runs.filter((r) => r.status !== 'queued').length;
    const queued = runs.length - running;
    setText(summary, lost ? 'Not known while the server does not answer; the last known runs are shown.'
      : runHub.ready || queueInfo.size
        ? `${running} running, ${totalQueued ?? queued} queued${maxConcurrent ? ` · up to ${maxConcurrent} at a time` : ''}`
        : 'Connecting…');
    const mode = lost ? 'offline' : runHub.mode;
    setText(modeEl, lost ? 'No contact with the server'
      : mode === 'live' ? 'Live' : mode === 'polling' ? 'Live (polling)' : 'Connecting…');
    modeEl.dataset.mode = mode;

    recentSection.hidden = finishedHere.size === 0;
    replace(recentList, [...finishedHere.values()].slice(-RECENT).reverse().map((r) => h('li', null,
      h('a', { class: 'mono', href: `#/runs/${encodeURIComponent(r.run_id)}` }, shortId(r.run_id)), ' ',
      r.strategy_code || '', ' ', statusBadge(r.status),
      r.finished_at ? [' ', timeEl(r.finished_at)] : '',
      r.passed_count !== undefined && r.passed_count !== null ? h('span', { class: 'muted' }, ` · ${fmtInt(r.passed_count)} passed`) : '')));
  }

  async function cancelRun(id, row) {
    const button = row.confirm;
    button.disabled = true;
    row.keep.hidden = true;
    setText(button, 'Cancelling…');
    try {
      const res = await api.cancel(id, { signal });
      setText(message, (res && res.message) || `Run ${shortId(id)} cancelled.`);
      announce(`Run ${shortId(id)} cancelled`);
      refreshSoon();
    } catch (e) {
      if (signal.aborted) return;
      button.disabled = false;
      setText(button, 'Yes, cancel');
      closeAsk(row, false);
      setText(message, e.status === 409 ? `Run ${shortId(id)} had already finished.` : `Could not cancel run ${shortId(id)}: ${e.message}`);
    }
  }

  const unsubscribe = runHub.subscribe((kind, run) => {
    if (signal.aborted) return;
    if (kind === 'run' && run && isTerminal(run.status)) {
      if (rows.has(run.run_id)) {
        finishedHere.delete(run.run_id);
        finishedHere.set(run.run_id, run);
        announce(`Run ${shortId(run.run_id)} ${run.status}`);
      }
    }
    // Positions change only when a run joins, starts or leaves.
    const key = runHub.activeRuns().map((r) => `${r.run_id}:${r.status}`).sort().join(',');
    if (key !== lastActiveKey || kind === 'snapshot') {
      lastActiveKey = key;
      refreshSoon();
    }
    render();
  });

  const unsubscribeServer = serverStatus.subscribe(() => render());

  refreshQueue();
  render();
  return () => { unsubscribe(); unsubscribeServer(); refreshSoon.cancel(); };
}
