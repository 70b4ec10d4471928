// A price chart in inline SVG: close, SMA50 and SMA200 (computed here from all the bars
// given, so the averages cover the visible window), and volume underneath. Hover or use
// the arrow keys on the focused chart to read a day's values.

import { h, fmtNum } from './util.js';

/** Simple moving average; null until `period` values are available. */
export function sma(values, period) {
  const out = new Array(values.length).fill(null);
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) {
    sum += values[i];
    if (i >= period) sum -= values[i - period];
    if (i >= period - 1) out[i] = sum / period;
  }
  return out;
}

function niceTicks(min, max, count) {
  const span = max - min || Math.abs(max) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toFixed(10)));
  return ticks;
}

const PAD = { left: 8, right: 62, top: 12 };

/**
 * bars: [{date, open, high, low, close, volume}] oldest first. Shows the last `visible`
 * bars. Returns a <figure>.
 */
export function priceChart(bars, { ticker, visible = 252, width = 800 } = {}) {
  // Drawn at the width it will be shown at, so text keeps its size; scales on resize.
  const W = Math.round(Math.max(300, Math.min(1200, width || 800)));
  const PRICE_H = W < 500 ? 190 : 250;
  const VOL_TOP = PRICE_H + 14;
  const VOL_H = W < 500 ? 48 : 64;
  const AXIS_Y = VOL_TOP + VOL_H + 16;
  const sorted = [...bars].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const closes = sorted.map((b) => Number(b.close));
  const s50 = sma(closes, 50);
  const s200 = sma(closes, 200);
  const start = Math.max(0, sorted.length - visible);
  const view = sorted.slice(start);
  const c = closes.slice(start);
  const a50 = s50.slice(start);
  const a200 = s200.slice(start);
  const n = view.length;

  const plotW = W - PAD.left - PAD.right;
  const xAt = (i) => PAD.left + (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const priceValues = [...c, ...a50.filter((v) => v !== null), ...a200.filter((v) => v !== null)];
  let lo = Math.min(...priceValues);
  let hi = Math.max(...priceValues);
  const padding = (hi - lo) * 0.06 || Math.abs(hi) * 0.05 || 1;
  lo -= padding;
  hi += padding;
  const yAt = (v) => PAD.top + (1 - (v - lo) / (hi - lo)) * (PRICE_H - PAD.top);
  const maxVol = Math.max(1, ...view.map((b) => Number(b.volume) || 0));
  const vAt = (v) => VOL_TOP + VOL_H - ((Number(v) || 0) / maxVol) * VOL_H;

  const path = (values) => {
    let d = '';
    let pen = false;
    values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${xAt(i).toFixed(1)},${yAt(v).toFixed(1)}`;
      pen = true;
    });
    return d;
  };

  const grid = niceTicks(lo, hi, 5).filter((t) => t >= lo && t <= hi).map((t) => h('g', { class: 'chart__tick' },
    h('line', { x1: PAD.left, x2: W - PAD.right, y1: yAt(t), y2: yAt(t), class: 'chart__grid' }),
    h('text', { x: W - PAD.right + 6, y: yAt(t) + 4, class: 'chart__label' }, fmtNum(t))));

  // Month boundaries as date ticks, thinned to at most ~7 labels.
  const monthIdx = [];
  view.forEach((b, i) => { if (i > 0 && String(b.date).slice(0, 7) !== String(view[i - 1].date).slice(0, 7)) monthIdx.push(i); });
  const every = Math.max(1, Math.ceil(monthIdx.length / 7));
  const dateTicks = monthIdx.filter((_, k) => k % every === 0).map((i) => h('g', { class: 'chart__tick' },
    h('line', { x1: xAt(i), x2: xAt(i), y1: PAD.top, y2: VOL_TOP + VOL_H, class: 'chart__grid chart__grid--v' }),
    h('text', { x: xAt(i), y: AXIS_Y, class: 'chart__label', 'text-anchor': 'middle' }, monthLabel(view[i].date))));

  const barW = Math.max(1, plotW / Math.max(n, 1) - 0.6);
  const volume = view.map((b, i) => h('rect', {
    x: (xAt(i) - barW / 2).toFixed(1),
    y: vAt(b.volume).toFixed(1),
    width: barW.toFixed(1),
    height: Math.max(0, VOL_TOP + VOL_H - vAt(b.volume)).toFixed(1),
    class: Number(b.close) >= Number(b.open) ? 'chart__vol chart__vol--up' : 'chart__vol chart__vol--down',
  }));

  const cursor = h('line', { class: 'chart__cursor', x1: 0, x2: 0, y1: PAD.top, y2: VOL_TOP + VOL_H, visibility: 'hidden' });
  const dot = h('circle', { class: 'chart__dot', r: 3.5, cx: 0, cy: 0, visibility: 'hidden' });

  const last = n - 1;
  const summary = n
    ? `${ticker || 'Price'} daily chart, ${n} trading days from ${view[0].date} to ${view[last].date}. `
      + `Last close ${fmtNum(c[last])}, SMA50 ${fmtNum(a50[last])}, SMA200 ${fmtNum(a200[last])}.`
    : 'No bars.';

  const svg = h('svg', {
    class: 'chart__svg', viewBox: `0 0 ${W} ${AXIS_Y + 6}`, role: 'img', 'aria-label': summary,
  },
  h('g', null, grid, dateTicks),
  h('line', { x1: PAD.left, x2: W - PAD.right, y1: VOL_TOP + VOL_H, y2: VOL_TOP + VOL_H, class: 'chart__axis' }),
  h('g', { class: 'chart__volume' }, volume),
  h('path', { d: path(a200), class: 'chart__line chart__line--sma200' }),
  h('path', { d: path(a50), class: 'chart__line chart__line--sma50' }),
  h('path', { d: path(c), class: 'chart__line chart__line--close' }),
  cursor, dot);

  const readout = h('p', { class: 'chart__readout', 'aria-live': 'polite' }, readoutText(view, c, a50, a200, last));
  const legend = h('ul', { class: 'chart__legend', 'aria-hidden': 'true' },
    h('li', { class: 'legend legend--close' }, 'Close'),
    h('li', { class: 'legend legend--sma50' }, 'SMA50'),
    h('li', { class: 'legend legend--sma200' }, 'SMA200'),
    h('li', { class: 'legend legend--vol' }, 'Volume'));

  let index = last;
  const show = (i) => {
    if (!n) return;
    index = Math.max(0, Math.min(last, i));
    cursor.setAttribute('x1', xAt(index));
    cursor.setAttribute('x2', xAt(index));
    cursor.setAttribute('visibility', 'visible');
    dot.setAttribute('cx', xAt(index));
    dot.setAttribute('cy', yAt(c[index]));
    dot.setAttribute('visibility', 'visible');
    readout.textContent = readoutText(view, c, a50, a200, index);
  };
  const hide = () => {
    cursor.setAttribute('visibility', 'hidden');
    dot.setAttribute('visibility', 'hidden');
  };
  svg.addEventListener('pointermove', (e) => {
    const rect = svg.getBoundingClientRect();
    const x = ((e.clientX - rect.left) / rect.width) * W;
    show(Math.round(((x - PAD.left) / plotW) * (n - 1)));
  });
  svg.addEventListener('pointerleave', hide);

  const frame = h('div', {
    class: 'chart__frame',
    tabindex: '0',
    role: 'group',
    'aria-label': `${ticker || ''} price chart: use the left and right arrow keys to read each day`,
    onkeydown: (e) => {
      const step = e.shiftKey ? 20 : 1;
      if (e.key === 'ArrowLeft') { show(index - step); e.preventDefault(); }
      else if (e.key === 'ArrowRight') { show(index + step); e.preventDefault(); }
      else if (e.key === 'Home') { show(0); e.preventDefault(); }
      else if (e.key === 'End') { show(last); e.preventDefault(); }
    },
    onblur: hide,
  }, svg);

  return h('figure', { class: 'chart', id: 'price-chart' }, legend, frame, readout,
    h('figcaption', { class: 'sr-only' }, summary));
}

function readoutText(view, c, a50, a200, i) {
  if (!view.length) return '';
  const b = view[i];
  return `${b.date} · close ${fmtNum(c[i])} · SMA50 ${fmtNum(a50[i])} · SMA200 ${fmtNum(a200[i])} · volume ${fmtNum(b.volume)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function monthLabel(date) {
  const [y, m] = String(date).split('-');
  const month = MONTHS[Number(m) - 1] || m;
  return m === '01' ? `${month} ${y}` : month;
}
