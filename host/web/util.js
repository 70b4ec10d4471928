// Small DOM and formatting helpers shared by every view. No dependencies.

/**
 * Builds an element: h('a', {href: '#/x', class: 'btn', onclick: fn}, 'text', child, [more]).
 * Attributes: `class`, `text`, `html` is not supported on purpose (no innerHTML anywhere);
 * `on<event>` adds a listener; `false`/`null`/`undefined` values are skipped; `true` sets
 * a boolean attribute; `dataset` and `style` take objects.
 */
export function h(tag, attrs, ...children) {
  const el = tag === 'svg' || SVG_TAGS.has(tag)
    ? document.createElementNS('http://www.w3.org/2000/svg', tag)
    : document.createElement(tag);
  let deferredValue;
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === false || value === null || value === undefined) continue;
      if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2), value);
      } else if (key === 'dataset') {
        Object.assign(el.dataset, value);
      } else if (key === 'style' && typeof value === 'object') {
        Object.assign(el.style, value);
      } else if (key === 'text') {
        el.textContent = value;
      } else if (key === 'value' && 'value' in el && !(el instanceof SVGElement)) {
        deferredValue = value; // after the children, so a <select> has its options
      } else if (key === 'checked' || key === 'selected' || key === 'disabled' || key === 'hidden') {
        el[key] = Boolean(value);
      } else {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    }
  }
  append(el, children);
  if (deferredValue !== undefined) el.value = deferredValue;
  return el;
}

const SVG_TAGS = new Set(['g', 'path', 'line', 'rect', 'text', 'polyline', 'circle', 'title', 'defs', 'clipPath']);

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces every child of `el` with `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Sets textContent only when it changed (keeps screen readers and selection calm). */
export function setText(el, text) {
  const value = text === null || text === undefined ? '' : String(text);
  if (el.textContent !== value) el.textContent = value;
}

export const TERMINAL = new Set(['completed', 'cancelled', 'error']);
export const ACTIVE = new Set(['queued', 'starting', 'running', 'completing']);
export const STATUSES = ['queued', 'starting', 'running', 'completing', 'completed', 'cancelled', 'error'];

export function isTerminal(status) { return TERMINAL.has(status); }
export function isActive(status) { return ACTIVE.has(status); }

/** A status pill; text is the status itself so colour is never the only signal. */
export function statusBadge(status) {
  return h('span', { class: `badge badge--${status || 'unknown'}`, dataset: { status: status || '' } }, status || 'unknown');
}

export function shortId(id) {
  return id ? String(id).slice(0, 8) : '';
}

const numberFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const intFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compactFmt = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

/** Formats a metric or score: null → "—", big numbers compact, others 2 decimals at most. */
export function fmtNum(value) {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  if (Math.abs(n) >= 1e6) return compactFmt.format(n);
  if (Number.isInteger(n)) return intFmt.format(n);
  const text = numberFmt.format(n);
  return /^-0([.,]0*)?$/.test(text) ? '0' : text; // -0.001 → "0", not "-0"
}

export function fmtInt(value) {
  if (value === null || value === undefined) return '—';
  return intFmt.format(Number(value));
}

export function fmtPercent(value) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return '—';
  const n = Number(value);
  return `${n > 0 && n < 1 ? n.toFixed(2) : n.toFixed(1)} %`;
}

export function fmtRate(value) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return '—';
  const n = Number(value);
  return `${n >= 100 ? intFmt.format(n) : n.toFixed(1)}/s`;
}

const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeFmt = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const today = new Date();
  return d.toDateString() === today.toDateString() ? timeFmt.format(d) : dateTimeFmt.format(d);
}

/** A <time> element with the full timestamp as its title. */
export function timeEl(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: iso }, fmtTime(iso));
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return '—';
  const s = Number(seconds);
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const total = Math.round(s);
  const hrs = Math.floor(total / 3600);
  const mins = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  return hrs ? `${hrs} h ${mins} min` : `${mins} min ${secs} s`;
}

/** Seconds from now until `iso` as "HH:MM:SS" (for ETA from a timestamp). */
export function untilHms(iso) {
  if (!iso) return null;
  const ms = new Date(iso).getTime() - Date.now();
  if (!Number.isFinite(ms)) return null;
  const total = Math.max(0, Math.round(ms / 1000));
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}

/** Parses "#/a/b?x=1" into {parts: ['a','b'], query: URLSearchParams}. */
export function parseHash(hash) {
  const raw = (hash || '').replace(/^#/, '');
  const [path, search = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, query: new URLSearchParams(search) };
}

/** Builds "#/path?query" dropping empty values. */
export function hashFor(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === '' || value === false) continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

/** Replaces the current hash without adding history or re-rendering the view. */
export function replaceHash(hash) {
  if (location.hash !== hash) history.replaceState(history.state, '', hash);
}

/** Announces a short message to screen readers through the polite live region. */
export function announce(message) {
  const el = document.getElementById('announcer');
  if (!el) return;
  el.textContent = '';
  setTimeout(() => { el.textContent = message; }, 30);
}

/** A labelled horizontally scrollable region for wide tables (keyboard scrollable). */
export function tableWrap(label, table) {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: '0' }, table);
}

/** A small definition list from [term, value] pairs. */
export function dl(pairs, cls = 'facts') {
  return h('dl', { class: cls }, pairs.map(([term, value]) => h('div', null, h('dt', null, term), h('dd', null, value))));
}

/** Debounces fn by `ms`. */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** An error box for a failed load, with the server's message. */
export function errorBox(err, what = 'Something went wrong') {
  return h('div', { class: 'notice notice--error', role: 'alert' },
    h('strong', null, `${what}: `), err && err.message ? err.message : String(err));
}

export function pageTitle(title) {
  document.title = title ? `${title} · stratrun` : 'stratrun';
}
