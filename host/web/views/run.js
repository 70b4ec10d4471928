// Live run: progress, stage, current ticker, counts, rate, ETA, passed count, event log and
// Cancel, updated over SSE (polling when SSE keeps failing). What was seen is kept in
// sessionStorage, so a reload shows it at once and resumes after the last seq seen: it is
// written with every render and again when the page is hidden or unloaded, so the cursor
// kept is always that of the state and log kept with it, whatever the render timing.
// Once the run ends, its results follow below.

import { api } from '../api.js';
import { RunStream } from '../live.js';
import { serverStatus } from '../server_status.js';
import {
  h, replace, setText, errorBox, pageTitle, statusBadge, timeEl, shortId, fmtDuration, fmtInt,
  fmtPercent, fmtRate, fmtNum, isTerminal, untilHms, dl, announce,
} from '../util.js';
import { ResultsPanel } from './results.js';

const LOG_KEEP = 200;
const STATUS_FOR_EVENT = { started: 'running', progress: 'running', ticker_completed: 'running', stage_completed: 'running', completed: 'completed', error: 'error', cancelled: 'cancelled' };
const MODE_TEXT = { idle: '', connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', polling: 'Live (polling)', offline: 'No contact with the server' };
const END_TEXT = { completed: 'Completed', cancelled: 'Cancelled', error: 'Failed' };

function storageKey(id) { return `stratrun.run.${id}`; }

function loadSaved(id) {
  try { return JSON.parse(sessionStorage.getItem(storageKey(id))) || null; } catch { return null; }
}

const KEEP_RUNS = 20; // runs whose live state this tab remembers

function save(id, data) {
  try { sessionStorage.setItem(storageKey(id), JSON.stringify({ ...data, savedAt: Date.now() })); } catch { /* quota or private mode */ }
}

/** Forgets the least recently saved runs beyond KEEP_RUNS. */
function prune(currentId) {
  try {
    const entries = [];
    for (let i = 0; i < sessionStorage.length; i += 1) {
      const key = sessionStorage.key(i);
      if (!key || !key.startsWith('stratrun.run.') || key === storageKey(currentId)) continue;
      let savedAt = 0;
      try { savedAt = JSON.parse(sessionStorage.getItem(key)).savedAt || 0; } catch { /* drop it */ }
      entries.push([key, savedAt]);
    }
    entries.sort((a, b) => b[1] - a[1]);
    for (const [key] of entries.slice(KEEP_RUNS - 1)) sessionStorage.removeItem(key);
  } catch { /* storage unavailable */ }
}

export function mountRun(container, { parts, query, signal }) {
  const runId = parts[1];
  pageTitle(`Run ${shortId(runId)}`);

  // ----- state
  prune(runId);
  const saved = loadSaved(runId);
  const state = {
    status: saved?.state?.status || null,
    progress_percent: null,
    stage: null,
    current_item: null,
    total_items: null,
    completed_items: null,
    tickers_per_second: null,
    estimated_remaining: null,
    passed_count: null,
    message: null,
    error: null,
    ...(saved?.state || {}),
  };
  let lastSeq = saved?.lastSeq || 0;
  let log = saved?.log || []; // newest last
  let run = null;
  let stream = null;
  let queueTimer = null;
  let cancelTimer = null;
  let renderTimer = null;
  let results = null;
  let finalized = false;
  let streamMode = 'idle';
  const newLines = [];

  // ----- skeleton (rendered at once so the heading exists for focus)
  const badge = h('span', { class: 'run-status', id: 'run-status' }, state.status ? statusBadge(state.status) : null);
  const strategyLink = h('span', { class: 'muted' });
  const bar = h('div', { class: 'progress__bar' });
  const progressEl = h('div', {
    class: 'progress', id: 'run-progress', role: 'progressbar', 'aria-label': 'Run progress',
    'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0',
  }, bar);
  const percentEl = h('span', { class: 'progress__percent', id: 'run-percent' }, '0.0 %');
  const fields = {
    stage: h('dd', { id: 'run-stage' }),
    current: h('dd', { id: 'run-current', class: 'mono' }),
    completed: h('dd', { id: 'run-completed' }),
    rate: h('dd', { id: 'run-rate' }),
    eta: h('dd', { id: 'run-eta' }),
    passed: h('dd', { id: 'run-passed' }),
  };
  const modeEl = h('span', { class: 'conn', id: 'run-connection' });
  const queueInfo = h('p', { class: 'queue-info', id: 'run-queue-info', hidden: true });
  const messageEl = h('p', { class: 'run-message', id: 'run-message' });
  const errorEl = h('div', { class: 'notice notice--error', id: 'run-error', role: 'alert', hidden: true });
  const cancelMsg = h('span', { class: 'muted', id: 'cancel-message', role: 'status' });
  const cancelBtn = h('button', { type: 'button', class: 'button button--danger', id: 'cancel-run', hidden: true, onclick: askCancel }, 'Cancel run');
  // Cancelling asks once more, in the page: the run's work so far cannot be resumed.
  const confirmYes = h('button', { type: 'button', class: 'button button--danger button--solid', id: 'cancel-confirm', onclick: onCancel }, 'Yes, cancel the run');
  const confirmNo = h('button', { type: 'button', class: 'button', id: 'cancel-keep', onclick: () => closeConfirm(true) }, 'Keep it running');
  const confirmBox = h('div', { class: 'confirm', id: 'cancel-confirm-box', role: 'group', 'aria-labelledby': 'cancel-confirm-q', hidden: true },
    h('span', { id: 'cancel-confirm-q' }, 'Cancel this run? It stops at once; results so far are kept.'), ' ', confirmYes, ' ', confirmNo);
  const details = h('div', { class: 'card', id: 'run-details' }, h('p', { class: 'loading' }, 'Loading the run…'));
  const logList = h('ol', { class: 'event-log', id: 'event-log', 'aria-label': 'Events, newest first' });
  const logCount = h('span', { class: 'count', id: 'event-log-count' });
  const resultsHost = h('div', { id: 'results-host' });
  const compareHost = h('p', { class: 'compare-link' });

  replace(container,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/history' }, 'History'), ' / ', h('span', { class: 'mono' }, shortId(runId))),
    h('div', { class: 'page-head page-head--row' },
      h('div', null,
        h('h1', { tabindex: '-1' }, 'Run ', h('span', { class: 'mono' }, shortId(runId))),
        strategyLink),
      badge),
    h('section', { class: 'card run-live', 'aria-labelledby': 'progress-h' },
      h('div', { class: 'run-live__head' },
        h('h2', { id: 'progress-h' }, 'Progress'),
        modeEl),
      queueInfo,
      h('div', { class: 'progress-row' }, progressEl, percentEl),
      h('dl', { class: 'stats' },
        h('div', null, h('dt', null, 'Stage'), fields.stage),
        h('div', null, h('dt', null, 'Current ticker'), fields.current),
        h('div', null, h('dt', null, 'Completed'), fields.completed),
        h('div', null, h('dt', null, 'Rate'), fields.rate),
        h('div', null, h('dt', null, 'ETA'), fields.eta),
        h('div', null, h('dt', null, 'Passed'), fields.passed)),
      messageEl,
      errorEl,
      h('div', { class: 'run-actions' }, cancelBtn, confirmBox, cancelMsg)),
    resultsHost,
    compareHost,
    h('section', { class: 'section', 'aria-labelledby': 'details-h' },
      h('h2', { id: 'details-h' }, 'Details'),
      details),
    h('section', { class: 'section', 'aria-labelledby': 'log-h' },
      h('details', { class: 'log-details', open: true },
        h('summary', null, h('h2', { id: 'log-h', class: 'inline-h' }, 'Event log '), logCount),
        logList)));

  renderLogFull();
  render();

  // ----- rendering
  function scheduleRender() {
    if (renderTimer) return;
    renderTimer = setTimeout(() => { renderTimer = null; render(); }, 60);
  }

  function render() {
    if (signal.aborted) return;
    const pct = Math.max(0, Math.min(100, Number(state.progress_percent) || 0));
    bar.style.width = `${pct}%`;
    progressEl.setAttribute('aria-valuenow', pct.toFixed(1));
    progressEl.setAttribute('aria-valuetext', `${pct.toFixed(1)} percent`);
    setText(percentEl, state.status === 'queued' ? 'queued' : fmtPercent(pct));
    progressEl.classList.toggle('progress--done', state.status === 'completed');
    progressEl.classList.toggle('progress--stopped', state.status === 'cancelled' || state.status === 'error');
    setText(fields.stage, state.stage || '—');
    setText(fields.current, state.current_item || '—');
    setText(fields.completed, state.total_items !== null && state.total_items !== undefined
      ? `${fmtInt(state.completed_items ?? 0)} / ${fmtInt(state.total_items)}` : '—');
    setText(fields.rate, state.tickers_per_second !== null && state.tickers_per_second !== undefined ? fmtRate(state.tickers_per_second) : '—');
    setText(fields.eta, isTerminal(state.status) ? '—' : (state.estimated_remaining || '—'));
    setText(fields.passed, state.passed_count !== null && state.passed_count !== undefined ? fmtInt(state.passed_count) : '—');
    if (state.status && badge.firstChild?.dataset?.status !== state.status) replace(badge, statusBadge(state.status));
    const canCancel = state.status !== null && !isTerminal(state.status);
    cancelBtn.hidden = !canCancel || !confirmBox.hidden;
    if (!canCancel) confirmBox.hidden = true;
    // The run's `error` also carries a cancelled run's reason: red only for real errors.
    if (state.error && state.status !== 'cancelled') {
      errorEl.hidden = false;
      errorEl.className = 'notice notice--error';
      errorEl.setAttribute('role', 'alert');
      setText(errorEl, `${state.error.code ? `${state.error.code}: ` : ''}${state.error.message || ''}`);
    } else if (state.error && state.status === 'cancelled') {
      errorEl.hidden = false;
      errorEl.className = 'notice';
      errorEl.setAttribute('role', 'status');
      setText(errorEl, `Cancelled${state.error.message ? `: ${state.error.message}` : state.error.code ? ` (${state.error.code})` : ''}`);
    } else {
      errorEl.hidden = true;
    }
    // The terminal event's message is usually the reason the notice above already gives
    // (e.g. "server shutting down"): say it once.
    const message = state.message || '';
    setText(messageEl, message && !errorEl.hidden && errorEl.textContent.includes(message) ? '' : message);
    flushLog();
    renderMode();
    persist();
  }

  function persist() {
    save(runId, { lastSeq, state, log: log.slice(-LOG_KEEP) });
  }

  /** The connection line: never "Live" while the server does not answer; how it ended once over. */
  function renderMode() {
    const contact = serverStatus.state;
    let mode = streamMode;
    let text;
    if (finalized || streamMode === 'closed') {
      mode = 'closed';
      text = END_TEXT[state.status] || 'Finished';
    } else if (contact.contact === 'lost') {
      mode = 'offline';
      text = MODE_TEXT.offline;
    } else {
      text = MODE_TEXT[mode] ?? mode;
      if (contact.shutdown && text) text = `${text} · server shutting down`;
    }
    setText(modeEl, text);
    modeEl.dataset.mode = mode;
  }

  function logLine(entry) {
    return h('li', { class: `log-line log-line--${entry.type}` },
      h('time', { class: 'log-line__time', datetime: entry.time || '' }, entry.time ? new Date(entry.time).toLocaleTimeString() : ''),
      h('span', { class: 'log-line__type' }, entry.type),
      h('span', { class: 'log-line__text' }, entry.text));
  }

  function renderLogFull() {
    replace(logList, log.slice(-LOG_KEEP).reverse().map(logLine));
    setText(logCount, log.length ? `(${lastSeq ? `last seq ${lastSeq}` : log.length})` : '(no events yet)');
  }

  function flushLog() {
    if (!newLines.length) return;
    const frag = document.createDocumentFragment();
    for (let i = newLines.length - 1; i >= 0; i -= 1) frag.appendChild(logLine(newLines[i]));
    newLines.length = 0;
    logList.insertBefore(frag, logList.firstChild);
    while (logList.childElementCount > LOG_KEEP) logList.lastElementChild.remove();
    setText(logCount, `(last seq ${lastSeq})`);
  }

  function describeEvent(ev) {
    const bits = [];
    if (ev.event_type === 'ticker_completed') {
      bits.push(ev.current_item || '?');
      const m = ev.metrics || {};
      if (m.passed !== undefined && m.passed !== null) bits.push(Number(m.passed) ? 'passed' : 'failed');
      if (m.score !== undefined && m.score !== null) bits.push(`score ${fmtNum(m.score)}`);
    } else {
      if (ev.stage) bits.push(`[${ev.stage}]`);
      if (ev.message) bits.push(ev.message);
      if (ev.error_code) bits.push(`(${ev.error_code})`);
    }
    if (ev.total_items) bits.push(`${fmtInt(ev.completed_items ?? 0)}/${fmtInt(ev.total_items)}`);
    return bits.join(' ');
  }

  // ----- events
  function applyEvent(ev) {
    if (Number.isFinite(Number(ev.seq))) lastSeq = Math.max(lastSeq, Number(ev.seq));
    const m = ev.metrics || {};
    // Workers finish tickers out of order, so counts may arrive slightly out of order:
    // within a stage, never move the bar backwards.
    const sameStage = !ev.stage || ev.stage === state.stage;
    const monotonic = (key) => {
      const v = ev[key];
      if (v === undefined || v === null) return;
      state[key] = sameStage && Number.isFinite(Number(state[key])) ? Math.max(Number(state[key]), Number(v)) : v;
    };
    monotonic('progress_percent');
    monotonic('completed_items');
    if (ev.stage) state.stage = ev.stage;
    if (ev.current_item) state.current_item = ev.current_item;
    if (ev.total_items !== undefined && ev.total_items !== null) state.total_items = ev.total_items;
    if (m.tickers_per_second !== undefined) state.tickers_per_second = m.tickers_per_second;
    if (m.estimated_remaining !== undefined) state.estimated_remaining = m.estimated_remaining;
    if (m.passed_count !== undefined) state.passed_count = m.passed_count;
    if (ev.message && ev.event_type !== 'ticker_completed') state.message = ev.message;
    const nextStatus = STATUS_FOR_EVENT[ev.event_type];
    if (nextStatus && !(isTerminal(state.status) && !isTerminal(nextStatus))) state.status = nextStatus;
    if (ev.event_type === 'error') state.error = { code: ev.error_code || 'error', message: ev.message || '' };
    if (ev.event_type === 'started') queueInfo.hidden = true;

    const entry = { seq: ev.seq, type: ev.event_type, time: ev.timestamp, text: describeEvent(ev) };
    log.push(entry);
    if (log.length > LOG_KEEP * 2) log = log.slice(-LOG_KEEP);
    newLines.push(entry);
    if (newLines.length > LOG_KEEP) newLines.splice(0, newLines.length - LOG_KEEP);

    if (ev.event_type === 'started' || ev.event_type === 'stage_completed') announce(describeEvent(ev) || ev.event_type);
    if (isTerminal(nextStatus)) announce(`Run ${nextStatus}`);
    scheduleRender();
  }

  function applyStatus(st) {
    if (!st) return;
    if (st.status) state.status = st.status;
    if (st.progress_percent !== undefined && st.progress_percent !== null) state.progress_percent = st.progress_percent;
    if (st.current_stage) state.stage = st.current_stage;
    const m = st.metrics || {};
    if (m.processed_tickers !== undefined) state.completed_items = m.processed_tickers;
    if (m.total_tickers !== undefined) state.total_items = m.total_tickers;
    if (m.tickers_per_second !== undefined) state.tickers_per_second = m.tickers_per_second;
    if (m.passed_count !== undefined) state.passed_count = m.passed_count;
    if (st.estimated_completion) state.estimated_remaining = untilHms(st.estimated_completion);
    if (st.error && (st.error.code || st.error.message)) state.error = st.error;
    scheduleRender();
  }

  function applyRun(r) {
    run = r;
    state.status = r.status;
    if (r.progress_percent !== undefined && r.progress_percent !== null) state.progress_percent = Math.max(Number(state.progress_percent) || 0, r.progress_percent);
    if (r.current_stage) state.stage = state.stage || r.current_stage;
    if (r.total_items !== undefined && r.total_items !== null) state.total_items = r.total_items;
    if (r.completed_items !== undefined && r.completed_items !== null) state.completed_items = Math.max(Number(state.completed_items) || 0, r.completed_items);
    if (r.passed_count !== undefined && r.passed_count !== null) state.passed_count = Math.max(Number(state.passed_count) || 0, r.passed_count);
    if (r.status === 'completed') state.progress_percent = 100;
    if (isTerminal(r.status)) {
      state.completed_items = r.completed_items ?? state.completed_items;
      state.passed_count = r.passed_count ?? state.passed_count;
      if ((state.tickers_per_second === null || state.tickers_per_second === undefined) && r.duration_seconds > 0 && r.completed_items) {
        state.tickers_per_second = r.completed_items / r.duration_seconds;
      }
    }
    state.error = r.error && (r.error.code || r.error.message) ? r.error : (r.error_code ? { code: r.error_code, message: r.error_message } : null);
    replace(strategyLink, 'Strategy ', h('a', { href: `#/strategies/${encodeURIComponent(r.strategy_code)}` }, r.strategy_code),
      r.plugin_version ? ` · v${r.plugin_version}` : '');
    pageTitle(`${r.strategy_code} run ${shortId(runId)}`);
    renderDetails(r);
    scheduleRender();
  }

  function renderDetails(r) {
    const params = r.parameters || {};
    const paramEntries = Object.entries(params);
    replace(details,
      dl([
        ['Run ID', h('span', { class: 'mono break' }, r.run_id)],
        ['Strategy', h('a', { href: `#/strategies/${encodeURIComponent(r.strategy_code)}` }, r.strategy_code)],
        ['Plugin version', r.plugin_version || '—'],
        ['Priority', r.priority || '—'],
        ['Source', r.source || '—'],
        ['Created', timeEl(r.created_at)],
        ['Started', timeEl(r.started_at)],
        ['Finished', timeEl(r.finished_at)],
        ['Duration', isTerminal(r.status) ? fmtDuration(r.duration_seconds) : h('span', { class: 'muted' }, r.started_at ? 'still running' : 'not started')],
        ['Results', isTerminal(r.status) ? `${fmtInt(r.result_count)} (${fmtInt(r.passed_count)} passed)` : h('span', { class: 'muted' }, 'when it ends')],
      ]),
      h('h3', null, 'Parameters'),
      paramEntries.length
        ? dl(paramEntries.map(([k, v]) => [h('span', { class: 'mono' }, k), h('span', { class: 'mono break' }, formatParam(v))]), 'facts facts--params')
        : h('p', { class: 'muted' }, 'Defaults only.'));
  }

  // ----- lifecycle
  async function loadRun() {
    try {
      const r = await api.run(runId, { signal });
      if (signal.aborted) return;
      applyRun(r);
      if (isTerminal(r.status)) {
        finalize(false);
      } else {
        if (r.status === 'queued') refreshQueueInfo();
        startStream();
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e.status === 404) {
        replace(container, h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Run not found')),
          errorBox(e, `There is no run ${runId}`), h('p', null, h('a', { href: '#/history' }, 'Go to the history')));
        return;
      }
      replace(details, errorBox(e, 'Could not load the run'));
      // The stream may still work; try it.
      if (!isTerminal(state.status)) startStream();
    }
  }

  function startStream() {
    if (stream) return;
    stream = new RunStream(runId, {
      lastSeq,
      onEvent: applyEvent,
      onStatus: applyStatus,
      onMode: (mode) => { streamMode = mode; renderMode(); },
      onEnd: () => finalize(true),
    });
    stream.start();
  }

  async function refreshQueueInfo() {
    clearTimeout(queueTimer);
    if (signal.aborted || (state.status && state.status !== 'queued')) { queueInfo.hidden = true; return; }
    try {
      const q = await api.queue({ signal });
      const entry = ((q && q.queue) || []).find((e) => e.run_id === runId);
      if (entry && entry.status === 'queued') {
        queueInfo.hidden = false;
        replace(queueInfo, `Waiting in the queue at position ${entry.position ?? '?'}`,
          entry.estimated_start ? [' · estimated start ', timeEl(entry.estimated_start)] : '',
          ` · ${q.max_concurrent ?? '?'} run${q.max_concurrent === 1 ? '' : 's'} at a time`);
      } else {
        queueInfo.hidden = true;
      }
    } catch { /* not important */ }
    if (!signal.aborted && (!state.status || state.status === 'queued')) queueTimer = setTimeout(refreshQueueInfo, 3000);
  }

  async function finalize(fromStream) {
    if (finalized || signal.aborted) return;
    finalized = true;
    clearTimeout(queueTimer);
    clearTimeout(cancelTimer);
    queueInfo.hidden = true;
    closeConfirm(false);
    renderMode();
    if (fromStream) {
      try {
        const r = await api.run(runId, { signal });
        if (signal.aborted) return;
        applyRun(r);
      } catch { /* keep what the events said */ }
    }
    render();
    if (!log.length) loadLogTail();
    results = new ResultsPanel({ runId, run, query, signal });
    replace(resultsHost, results.element);
    results.load();
    if (run && run.status === 'completed') offerCompare(run);
  }

  /** A finished run opened afresh: fetch the tail of its event log. */
  async function loadLogTail() {
    replace(logList, h('li', { class: 'log-line muted' }, 'Loading the event log…'));
    try {
      const data = await api.eventsTail(runId, LOG_KEEP, { signal });
      if (signal.aborted) return;
      const events = (data && data.events) || [];
      log = events.slice(-LOG_KEEP).map((ev) => ({ seq: ev.seq, type: ev.event_type, time: ev.timestamp, text: describeEvent(ev) }));
      lastSeq = Math.max(lastSeq, ...events.map((ev) => Number(ev.seq) || 0));
      renderLogFull();
      save(runId, { lastSeq, state, log });
    } catch (e) {
      if (!signal.aborted) replace(logList, h('li', { class: 'log-line' }, errorBox(e, 'Could not load the events')));
    }
  }

  async function offerCompare(r) {
    try {
      const data = await api.runs({ strategy_code: r.strategy_code, status: 'completed', limit: 20 }, { signal });
      if (signal.aborted) return;
      const created = new Date(r.created_at).getTime();
      const previous = ((data && data.runs) || []).find((x) => x.run_id !== r.run_id && new Date(x.created_at).getTime() <= created);
      if (previous) {
        replace(compareHost, h('a', { class: 'button', href: `#/compare?a=${encodeURIComponent(previous.run_id)}&b=${encodeURIComponent(r.run_id)}` },
          `Compare with the previous ${r.strategy_code} run (${shortId(previous.run_id)})`));
      }
    } catch { /* optional */ }
  }

  function askCancel() {
    confirmBox.hidden = false;
    cancelBtn.hidden = true;
    setText(cancelMsg, '');
    confirmNo.focus();
  }

  function closeConfirm(refocus) {
    if (confirmBox.hidden) return;
    confirmBox.hidden = true;
    cancelBtn.hidden = state.status === null || isTerminal(state.status);
    if (refocus && !cancelBtn.hidden) cancelBtn.focus();
  }

  async function onCancel() {
    confirmBox.hidden = true;
    cancelBtn.hidden = false;
    cancelBtn.disabled = true;
    setText(cancelMsg, 'Cancelling…');
    try {
      const res = await api.cancel(runId, { signal });
      setText(cancelMsg, (res && res.message) || 'Cancellation requested.');
      // The cancelled event normally ends the stream; if it has not in 3 s, ask the run.
      cancelTimer = setTimeout(async () => {
        if (finalized || signal.aborted) return;
        try {
          const r = await api.run(runId, { signal });
          if (isTerminal(r.status)) {
            if (stream) stream.stop();
            applyRun(r);
            finalize(false);
          }
        } catch { /* the stream will tell */ }
      }, 3000);
    } catch (e) {
      if (signal.aborted) return;
      cancelBtn.disabled = false;
      setText(cancelMsg, e.status === 409 ? 'The run has already finished.' : `Could not cancel: ${e.message}`);
      if (e.status === 409) loadRun();
    }
  }

  // Keep the cursor with what was applied even if the page goes before the next render.
  const onPageHide = () => persist();
  const onVisibility = () => { if (document.visibilityState === 'hidden') persist(); };
  window.addEventListener('pagehide', onPageHide);
  document.addEventListener('visibilitychange', onVisibility);
  const unsubscribeServer = serverStatus.subscribe(() => renderMode());

  loadRun();

  return () => {
    persist();
    window.removeEventListener('pagehide', onPageHide);
    document.removeEventListener('visibilitychange', onVisibility);
    unsubscribeServer();
    if (stream) stream.stop();
    clearTimeout(queueTimer);
    clearTimeout(cancelTimer);
    clearTimeout(renderTimer);
    if (results) results.destroy();
  };
}

function formatParam(value) {
  if (Array.isArray(value)) return value.length ? value.join(', ') : '[] (none)';
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
