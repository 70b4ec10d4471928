// Live streams.
//
// RunHub: the tab's single connection to GET /api/events (every run's lifecycle:
// `snapshot` {runs:[…]} then `run` <run> on each change, and `server` {state, grace_seconds}
// when the server starts shutting down; listeners get ('server', data)). The nav badge and
// the Queue view share it, so a tab holds one stream however many runs there are. When the
// stream fails repeatedly it polls GET /api/strategies/queue instead. Each stream error is
// emitted as ('stream-error') so the server status can check at once whether it answers.
//
// RunStream: one run's progress events from GET /api/strategies/sse/{id}, resuming after
// the last seq seen (?last_event_id=; EventSource itself sends Last-Event-ID on its
// automatic reconnects), and falling back to polling /status and /events?after=SEQ when
// SSE fails repeatedly.

import { api, urls } from './api.js';
import { isTerminal } from './util.js';

const EVENT_TYPES = ['started', 'progress', 'ticker_completed', 'stage_completed', 'completed', 'error', 'cancelled'];
const TERMINAL_EVENTS = new Set(['completed', 'error', 'cancelled']);
const MAX_SSE_ERRORS = 3;

class RunHub {
  constructor() {
    this.runs = new Map();
    this.listeners = new Set();
    this.mode = 'idle'; // idle | connecting | live | polling
    this.source = null;
    this.errors = 0;
    this.pollTimer = null;
    this.retryTimer = null;
    this.ready = false;
  }

  /** Starts the stream once for the tab; later calls do nothing. */
  start() {
    if (this.mode !== 'idle') return;
    this.connect();
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(kind, run) {
    for (const listener of this.listeners) {
      try { listener(kind, run, this); } catch (e) { console.warn('run hub listener failed', e); }
    }
  }

  connect() {
    this.mode = 'connecting';
    const source = new EventSource(urls.events);
    this.source = source;
    source.addEventListener('snapshot', (e) => {
      this.errors = 0;
      this.emit('online', null);
      this.mode = 'live';
      let data;
      try { data = JSON.parse(e.data); } catch { return; }
      this.runs.clear();
      for (const run of (data && data.runs) || []) if (run && run.run_id) this.runs.set(run.run_id, run);
      this.ready = true;
      this.emit('snapshot', null);
    });
    source.addEventListener('run', (e) => {
      this.errors = 0;
      this.mode = 'live';
      let run;
      try { run = JSON.parse(e.data); } catch { return; }
      if (!run || !run.run_id) return;
      const previous = this.runs.get(run.run_id);
      this.runs.set(run.run_id, previous ? { ...previous, ...run } : run);
      this.emit('run', this.runs.get(run.run_id));
    });
    source.addEventListener('server', (e) => {
      let data;
      try { data = JSON.parse(e.data); } catch { return; }
      this.emit('server', data);
    });
    source.onerror = () => {
      this.errors += 1;
      this.emit('stream-error', null);
      if (source.readyState === EventSource.CLOSED || this.errors >= MAX_SSE_ERRORS) {
        source.close();
        if (this.source === source) this.source = null;
        this.startPolling();
      }
    };
  }

  startPolling() {
    if (this.mode === 'polling') return;
    this.mode = 'polling';
    this.emit('mode', null);
    // Try the stream again now and then (e.g. the server was restarted).
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      clearTimeout(this.pollTimer);
      this.errors = 0;
      this.connect();
    }, 30000);
    const tick = async () => {
      if (this.mode !== 'polling') return;
      try {
        const q = await api.queue();
        const seen = new Set();
        for (const entry of (q && q.queue) || []) {
          seen.add(entry.run_id);
          const previous = this.runs.get(entry.run_id) || {};
          this.runs.set(entry.run_id, { ...previous, ...entry });
        }
        // A run that left the queue has finished; fetch its final state once.
        for (const [id, run] of this.runs) {
          if (!seen.has(id) && !isTerminal(run.status)) {
            try { this.runs.set(id, await api.run(id)); } catch { this.runs.delete(id); }
          }
        }
        this.ready = true;
        this.emit('online', null);
        this.emit('snapshot', null);
      } catch {
        this.emit('offline', null); // try again on the next tick
      }
      if (this.mode === 'polling') this.pollTimer = setTimeout(tick, document.hidden ? 10000 : 3000);
    };
    tick();
  }

  activeRuns() {
    return [...this.runs.values()].filter((run) => !isTerminal(run.status));
  }
}

export const runHub = new RunHub();

/**
 * Follows one run. Callbacks: onEvent(event) for each new event in seq order (duplicates
 * dropped), onStatus(statusJson) while polling, onMode(mode) with 'connecting' | 'live' |
 * 'reconnecting' | 'polling' | 'closed', onEnd() after the terminal event.
 */
export class RunStream {
  constructor(runId, { lastSeq = 0, onEvent, onStatus, onMode, onEnd }) {
    this.runId = runId;
    this.lastSeq = lastSeq;
    this.onEvent = onEvent || (() => {});
    this.onStatus = onStatus || (() => {});
    this.onMode = onMode || (() => {});
    this.onEnd = onEnd || (() => {});
    this.source = null;
    this.errors = 0;
    this.pollTimer = null;
    this.closed = false;
    this.mode = 'idle';
  }

  setMode(mode) {
    if (this.mode === mode) return;
    this.mode = mode;
    this.onMode(mode);
  }

  start() {
    this.setMode('connecting');
    const source = new EventSource(urls.sse(this.runId, this.lastSeq));
    this.source = source;
    // An SSE event named `error` (the run failed) and a connection error share the event
    // type 'error'; only the first is a MessageEvent with data.
    const isMessage = (e) => typeof MessageEvent !== 'undefined' && e instanceof MessageEvent && typeof e.data === 'string';
    const handle = (e) => {
      if (this.closed || !isMessage(e)) return;
      this.errors = 0;
      this.setMode('live');
      let event;
      try { event = JSON.parse(e.data); } catch { return; }
      if (!event.event_type) event.event_type = e.type === 'message' ? 'progress' : e.type;
      if (event.seq === undefined && e.lastEventId) event.seq = Number(e.lastEventId);
      this.deliver(event);
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, handle);
    source.addEventListener('message', handle);
    source.onopen = () => { if (!this.closed) this.setMode('live'); };
    source.onerror = (e) => {
      if (this.closed || isMessage(e)) return;
      this.errors += 1;
      if (source.readyState === EventSource.CLOSED || this.errors >= MAX_SSE_ERRORS) {
        source.close();
        this.source = null;
        this.startPolling();
      } else {
        this.setMode('reconnecting');
      }
    };
  }

  deliver(event) {
    const seq = Number(event.seq);
    if (Number.isFinite(seq)) {
      if (seq <= this.lastSeq) return;
      this.lastSeq = seq;
    }
    this.onEvent(event);
    if (TERMINAL_EVENTS.has(event.event_type)) this.finish();
  }

  startPolling() {
    if (this.closed) return;
    this.setMode('polling');
    const tick = async () => {
      if (this.closed) return;
      try {
        const data = await api.events(this.runId, this.lastSeq);
        for (const event of (data && data.events) || []) {
          if (this.closed) return;
          this.deliver(event);
        }
        if (this.closed) return;
        const status = await api.status(this.runId);
        if (this.closed) return;
        this.onStatus(status);
        if (status && isTerminal(status.status)) {
          // The terminal event may have landed between the two calls.
          const rest = await api.events(this.runId, this.lastSeq);
          for (const event of (rest && rest.events) || []) if (!this.closed) this.deliver(event);
          if (!this.closed) this.finish();
          return;
        }
      } catch (e) {
        if (e && e.status === 404) { this.finish(); return; }
      }
      if (!this.closed) this.pollTimer = setTimeout(tick, 1000);
    };
    tick();
  }

  finish() {
    if (this.closed) return;
    this.stop();
    this.setMode('closed');
    this.onEnd();
  }

  /** Closes the stream and stops polling; no callbacks after this. */
  stop() {
    this.closed = true;
    if (this.source) { this.source.close(); this.source = null; }
    clearTimeout(this.pollTimer);
  }
}
