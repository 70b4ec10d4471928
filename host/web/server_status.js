// What the tab knows about the server itself: whether it answers, whether it is shutting
// down (and how long running runs get), and whether its market data are synthetic.
//
// Fed by GET /api/health (polled: every 10 s while in contact, every 2 s while not) and by
// the tab's lifecycle stream (runHub: `server` events, stream errors, polls that fail).
// Views and the page's banners read `serverStatus.state` and subscribe to changes; nothing
// may claim "live" or "ok" while `contact` is 'lost'.

import { api } from './api.js';
import { runHub } from './live.js';

const POLL_OK_MS = 10000;
const POLL_LOST_MS = 2000;

class ServerStatus {
  constructor() {
    /**
     * contact: 'unknown' (no answer yet) | 'ok' | 'lost'
     * status: the health's `status` ('ok', 'shutting_down', …) or null
     * shutdown: {graceSeconds: number|null} while the server says it is shutting down, else null
     * synthetic: true | false | null (null: the server did not say)
     */
    this.state = { contact: 'unknown', status: null, version: null, shutdown: null, synthetic: null, dataDir: null, error: null };
    this.listeners = new Set();
    this.timer = null;
    this.probing = null;
    this.started = false;
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True only while the last word from the server was an answer. */
  get inContact() { return this.state.contact === 'ok'; }

  update(patch) {
    const next = { ...this.state, ...patch };
    const changed = Object.keys(next).some((k) => JSON.stringify(next[k]) !== JSON.stringify(this.state[k]));
    this.state = next;
    if (!changed) return;
    for (const listener of this.listeners) {
      try { listener(this.state); } catch (e) { console.warn('server status listener failed', e); }
    }
  }

  start() {
    if (this.started) return;
    this.started = true;
    runHub.subscribe((kind, data) => {
      if (kind === 'offline' || kind === 'stream-error') this.probe();
      else if (kind === 'online' && this.state.contact !== 'ok') this.probe();
      else if (kind === 'server') this.applyServerEvent(data);
    });
    this.probe();
  }

  /** Asks /api/health now (one request at a time) and schedules the next probe. */
  probe() {
    if (this.probing) return this.probing;
    clearTimeout(this.timer);
    this.probing = (async () => {
      try {
        this.applyHealth(await api.health());
      } catch (e) {
        if (e && e.status > 0 && e.body && typeof e.body === 'object' && e.body.status) {
          this.applyHealth(e.body); // e.g. 503 {"status":"shutting_down"}: it still answers
        } else {
          this.update({ contact: 'lost', error: e && e.message ? e.message : String(e) });
        }
      } finally {
        this.probing = null;
        this.timer = setTimeout(() => this.probe(), this.state.contact === 'ok' ? POLL_OK_MS : POLL_LOST_MS);
      }
    })();
    return this.probing;
  }

  applyHealth(health) {
    const h = health && typeof health === 'object' ? health : {};
    const status = typeof h.status === 'string' ? h.status : null;
    const md = h.market_data && typeof h.market_data === 'object' ? h.market_data : null;
    const synthetic = md && typeof md.synthetic === 'boolean' ? md.synthetic : null;
    let shutdown = null;
    if (status === 'shutting_down') {
      const grace = Number(h.grace_seconds ?? (h.shutdown && h.shutdown.grace_seconds));
      shutdown = { graceSeconds: Number.isFinite(grace) ? grace : (this.state.shutdown ? this.state.shutdown.graceSeconds : null) };
    }
    this.update({
      contact: 'ok',
      status,
      version: typeof h.version === 'string' ? h.version : this.state.version,
      shutdown,
      synthetic,
      dataDir: md && typeof md.dir === 'string' ? md.dir : null,
      error: null,
    });
  }

  /** A `server` event of the lifecycle stream: {"state":"shutting_down","grace_seconds":N}. */
  applyServerEvent(data) {
    if (!data || typeof data !== 'object') return;
    if (data.state === 'shutting_down') {
      const grace = Number(data.grace_seconds);
      this.update({ contact: 'ok', status: 'shutting_down', shutdown: { graceSeconds: Number.isFinite(grace) ? grace : null } });
    } else if (typeof data.state === 'string') {
      this.update({ contact: 'ok', status: data.state, shutdown: null });
    }
  }
}

export const serverStatus = new ServerStatus();
