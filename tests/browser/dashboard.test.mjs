// Browser tests of the dashboard: Debian's chromium driven by playwright-core against a
// running stratrun server. run.sh starts the server and sets:
//   STRATRUN_URL     base URL of the server (http://127.0.0.1:PORT)
//   SCREENSHOT_DIR   where each main view's screenshot goes
//   DOWNLOAD_DIR     where the downloaded CSV is kept
//   CHROMIUM         the browser (default /usr/bin/chromium)
//   STRATRUN_BIN, STRATRUN_PLUGINS, STRATRUN_DATA, STRATRUN_WORK
//                    for the tests that start (and stop) a server of their own
// Every test fails on a console error or an uncaught page error, except the few a test
// expects (e.g. the browser's own log line for the 422 it provokes).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.STRATRUN_URL || '').replace(/\/$/, '');
const SHOTS = process.env.SCREENSHOT_DIR || path.resolve('screenshots');
const DOWNLOADS = process.env.DOWNLOAD_DIR || path.resolve('downloads');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const LAPTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };
const SLOW = 30_000; // generous: sanitizer builds are slow

if (!BASE) throw new Error('STRATRUN_URL is not set (run the tests through run.sh)');
fs.mkdirSync(SHOTS, { recursive: true });
fs.mkdirSync(DOWNLOADS, { recursive: true });

let browser;
let strategies = [];
let hasPaced = false;
let hasBars = null; // learnt from the first completed run
const state = { firstRun: null }; // the run started from the form, reused by later tests

// ---------------------------------------------------------------------------- helpers

/** One HTTP request without keep-alive (idle pooled sockets would hold the runner open). */
function request(method, p, json) {
  return new Promise((resolve, reject) => {
    const body = json === undefined ? null : Buffer.from(JSON.stringify(json));
    const req = http.request(/^https?:/.test(p) ? p : `${BASE}${p}`, {
      method,
      agent: false,
      headers: { Connection: 'close', ...(body ? { 'Content-Type': 'application/json', 'Content-Length': body.length } : {}) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed = text;
        try { parsed = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, body: parsed });
      });
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${p} timed out`)));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const apiGet = (p) => request('GET', p);
const apiPost = (p, json) => request('POST', p, json);

async function waitFor(what, fn, { timeout = 60_000, interval = 200 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Waits until the run view's connection line matches `re` (it follows the stream, which a
 * page opens after fetching the run, so it may lag the counts the lifecycle stream moved). */
async function connectionSays(page, re) {
  let text = '';
  await waitFor(`the connection line to match ${re}`, async () => {
    text = (await page.locator('#run-connection').textContent()) || '';
    return re.test(text);
  }, { timeout: 30_000 }).catch(() => {});
  assert.match(text, re);
}

async function waitRunDone(runId, timeout = 120_000) {
  return waitFor(`run ${runId} to finish`, async () => {
    const { body } = await apiGet(`/api/strategies/runs/${runId}`);
    return body && ['completed', 'cancelled', 'error'].includes(body.status) ? body : null;
  }, { timeout, interval: 250 });
}

async function startPaced(parameters = {}, options = {}) {
  const res = await apiPost('/api/strategies/execute', {
    strategy_code: 'paced',
    parameters: { events: 100000, rate_per_second: 50, ...parameters },
    options: { priority: 'normal', ...options },
  });
  assert.equal(res.status, 202, `paced run not accepted: ${JSON.stringify(res.body)}`);
  return res.body.run_id;
}

async function cancelQuietly(runId) {
  if (!runId) return;
  await apiPost(`/api/strategies/runs/${runId}/cancel`, {}).catch(() => {});
}

/** Cancels whatever is still running or queued so each test starts with a free executor. */
async function drainQueue() {
  const { body } = await apiGet('/api/strategies/queue');
  const ids = ((body && body.queue) || []).map((e) => e.run_id);
  for (const id of ids) await cancelQuietly(id);
  for (const id of ids) await waitRunDone(id, 30_000).catch(() => {});
}

/**
 * A fresh browser context and page that records console errors and page errors.
 * `allow` lists regexps for console errors the test expects.
 */
async function openPage({ viewport = LAPTOP, allow = [] } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(SLOW);
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = `${msg.text()} ${msg.location() && msg.location().url ? `(${msg.location().url})` : ''}`;
    if (allow.some((re) => re.test(text))) return;
    problems.push(`console error: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  const close = async () => {
    await context.close();
    assert.deepEqual(problems, [], 'the page logged errors');
  };
  return { page, context, problems, close };
}

/** A free loopback port (the kernel's pick). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

/**
 * Starts a `stratrun serve` of this test's own (same binary, plugins and data as run.sh's,
 * its own database) and waits for /api/health. stop() sends SIGTERM and waits for the exit.
 */
async function startOwnServer({ port, grace = 5, name = 'own' } = {}) {
  const bin = process.env.STRATRUN_BIN;
  const work = process.env.STRATRUN_WORK;
  const usePort = port || await freePort();
  const log = fs.openSync(path.join(work, `server-${name}.log`), 'a');
  const plugins = process.env.STRATRUN_PLUGINS ? ['--plugins', process.env.STRATRUN_PLUGINS] : [];
  const proc = spawn(bin, [...plugins, 'serve', '--host', '127.0.0.1', '--port', String(usePort),
    '--db', path.join(work, `${name}.db`), '--data', process.env.STRATRUN_DATA, '--grace', String(grace)],
  { stdio: ['ignore', log, log] });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  exited.then(() => { gone = true; fs.closeSync(log); });
  const url = `http://127.0.0.1:${usePort}`;
  await waitFor(`the ${name} server to answer`, async () => {
    if (gone) throw new Error(`the ${name} server exited at start; see server-${name}.log`);
    return (await apiGet(`${url}/api/health`).catch(() => null))?.status === 200;
  }, { timeout: 60_000 });
  return {
    url,
    port: usePort,
    exited,
    get gone() { return gone; },
    async stop(signal = 'SIGTERM', timeout = 60_000) {
      if (gone) return exited;
      proc.kill(signal);
      const timer = setTimeout(() => { if (!gone) proc.kill('SIGKILL'); }, timeout);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Whether the element's box is inside the viewport (below a sticky header, if any). */
async function inViewport(page, selector, { horizontalOnly = false } = {}) {
  return page.evaluate(([sel, hOnly]) => {
    const el = document.querySelector(sel);
    if (!el) return false;
    const r = el.getBoundingClientRect();
    const header = document.querySelector('.site-header');
    const top = header && getComputedStyle(header).position === 'sticky' ? header.getBoundingClientRect().bottom : 0;
    const inX = r.width > 0 && r.left >= -1 && r.right <= window.innerWidth + 1;
    const inY = r.height > 0 && r.top >= top - 1 && r.bottom <= window.innerHeight + 1;
    return hOnly ? inX : inX && inY;
  }, [selector, horizontalOnly]);
}

async function shot(page, name, opts = {}) {
  await page.evaluate(() => window.scrollTo(0, 0)); // else the sticky header lands mid-page
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true, ...opts });
}

async function completedCount(page) {
  const text = await page.locator('#run-completed').textContent();
  const m = /^([\d,.\s\u202f]+)\s*\//.exec(text || '');
  return m ? Number(m[1].replace(/[^\d]/g, '')) : 0;
}

function runIdFromUrl(url) {
  const m = /#\/runs\/([^?]+)/.exec(url);
  return m ? decodeURIComponent(m[1]) : null;
}

async function columnValues(page, col) {
  return page.$$eval(`#results-table tbody td[data-col="${col}"]`, (cells) => cells.map((c) => (c.title === '' ? null : Number(c.title))));
}

function assertSorted(values, order, what) {
  const nums = values.filter((v) => v !== null && Number.isFinite(v));
  for (let i = 1; i < nums.length; i += 1) {
    if (order === 'asc') assert.ok(nums[i - 1] <= nums[i], `${what} not ascending at ${i}: ${nums[i - 1]} > ${nums[i]}`);
    else assert.ok(nums[i - 1] >= nums[i], `${what} not descending at ${i}: ${nums[i - 1]} < ${nums[i]}`);
  }
}

// ---------------------------------------------------------------------------- set-up

before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox'] });
  const { status, body } = await apiGet('/api/strategies');
  assert.equal(status, 200);
  strategies = body.strategies || [];
  hasPaced = strategies.some((s) => s.code === 'paced');
  assert.ok(strategies.some((s) => s.code === 'bullish_breakout'), 'bullish_breakout is not loaded');
});

after(async () => {
  await drainQueue().catch(() => {});
  if (browser) await browser.close();
});

// ---------------------------------------------------------------------------- tests

test('the host serves the dashboard and its assets with the right types', async () => {
  const index = await apiGet('/');
  assert.equal(index.status, 200);
  assert.match(index.headers['content-type'] || '', /text\/html/);
  assert.match(index.text, /\/web\/app\.js/);
  for (const [file, type] of [['app.js', /javascript/], ['style.css', /text\/css/], ['views/run.js', /javascript/]]) {
    const res = await apiGet(`/web/${file}`);
    assert.equal(res.status, 200, `/web/${file}`);
    assert.match(res.headers['content-type'] || '', type, `/web/${file} content type`);
  }
});

test('strategies: every plugin with description and version, and the rejected files', async () => {
  const { page, close } = await openPage();
  await page.goto(`${BASE}/`);
  await page.waitForURL(/#\/strategies$/);
  const card = page.locator('.strategy-card[data-code="bullish_breakout"]');
  await card.waitFor();
  assert.equal(await page.locator('.strategy-card').count(), strategies.length);
  const bb = strategies.find((s) => s.code === 'bullish_breakout');
  assert.match(await card.textContent(), new RegExp(`v${bb.version.replace(/\./g, '\\.')}`));
  assert.ok((await card.locator('.description').textContent()).length > 20, 'description shown');
  await page.locator('#rejected-h').waitFor();
  const { body } = await apiGet('/api/strategies');
  if ((body.rejected || []).length) {
    assert.equal(await page.locator('#rejected tbody tr').count(), body.rejected.length);
    assert.match(await page.locator('#rejected').textContent(), new RegExp(body.rejected[0].reason.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  }
  await shot(page, '01-strategies');
  await close();
});

test('keyboard: skip link, nav and the run form work without a mouse', async () => {
  const { page, close } = await openPage();
  await page.goto(`${BASE}/#/strategies`);
  await page.locator('.strategy-card').first().waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
  // Tab to the Queue link and follow it with Enter.
  for (let i = 0; i < 10; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement.dataset.nav === 'queue')) break;
  }
  assert.equal(await page.evaluate(() => document.activeElement.dataset.nav), 'queue');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'focused link shows a focus outline');
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/queue$/);
  // The view's heading takes focus after navigation.
  await page.waitForFunction(() => document.activeElement && document.activeElement.tagName === 'H1');
  // Every form control of the run form has a label.
  await page.goto(`${BASE}/#/strategies/bullish_breakout`);
  await page.locator('#run-form').waitFor();
  const unlabelled = await page.$$eval('#run-form input, #run-form select', (els) => els.filter((el) => !el.labels || el.labels.length === 0).map((el) => el.id));
  assert.deepEqual(unlabelled, []);
  await close();
});

test('an invalid parameter shows the server\'s message next to its field', async () => {
  const { page, close } = await openPage({ allow: [/status of 422/] });
  await page.goto(`${BASE}/#/strategies/bullish_breakout`);
  const input = page.locator('#param-min_score');
  await input.fill('500');
  await page.locator('#start-run').click();
  const error = page.locator('[data-error-for="min_score"]');
  await error.waitFor({ state: 'visible' });
  const message = await error.textContent();
  assert.match(message, /min_score|100|500/, `field error: ${message}`);
  assert.equal(await input.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'param-min_score');
  assert.match(page.url(), /#\/strategies\/bullish_breakout$/, 'stayed on the form');
  // The error belongs to that field: it sits inside the field's own row.
  assert.equal(await page.locator('[data-field="min_score"] .field-error').isVisible(), true);
  await shot(page, '02-form-field-error');
  // Fixing the value clears the error.
  await input.fill('70');
  assert.equal(await error.isVisible(), false);
  await close();
});

test('a bullish_breakout run started from the form reaches 100 % and shows results', async () => {
  await drainQueue();
  const { page, close } = await openPage();
  await page.goto(`${BASE}/#/strategies/bullish_breakout`);
  await page.locator('#run-form').waitFor();
  assert.equal(await page.locator('#param-tickers').inputValue(), '', 'tickers empty: the universe');
  assert.equal(await page.locator('#param-universe_source').inputValue(), 'sp500');
  await page.locator('#start-run').click();
  await page.waitForURL(/#\/runs\//);
  const runId = runIdFromUrl(page.url());
  assert.ok(runId);
  await page.locator('#run-status .badge[data-status="completed"]').waitFor({ timeout: 120_000 });
  await page.waitForFunction(() => document.querySelector('#run-progress').getAttribute('aria-valuenow') === '100.0');
  assert.match(await page.locator('#run-percent').textContent(), /100/);
  const run = (await apiGet(`/api/strategies/runs/${runId}`)).body;
  assert.equal(run.status, 'completed');
  assert.equal(run.strategy_code, 'bullish_breakout');
  assert.match(await page.locator('#run-completed').textContent(), new RegExp(`${run.total_items}`.replace(/\B(?=(\d{3})+(?!\d))/g, '.?')));
  assert.equal(Number((await page.locator('#run-passed').textContent()).replace(/\D/g, '')), run.passed_count);
  await page.locator('#results-table tbody tr').first().waitFor();
  assert.ok(await page.locator('#results-table tbody tr').count() > 0);
  // Live or, when the run beat the page to it, the tail fetched from /events.
  await page.locator('#event-log li.log-line--completed').first().waitFor();
  assert.equal(await page.locator('#cancel-run').isVisible(), false, 'no Cancel once finished');
  await shot(page, '03-run-completed');
  state.firstRun = run;
  await close();
});

test('a finished run opened in a new tab shows the tail of its event log', async () => {
  assert.ok(state.firstRun, 'needs the run of the previous test');
  const { page, close } = await openPage();  // a fresh context: nothing kept in sessionStorage
  const tail = (await apiGet(`/api/strategies/runs/${state.firstRun.run_id}/events?tail=1`)).body;
  const lastSeq = tail.events[0].seq;
  await page.goto(`${BASE}/#/runs/${state.firstRun.run_id}`);
  await page.locator('#event-log li.log-line--completed').first().waitFor();
  const lines = await page.locator('#event-log li').count();
  assert.ok(lines >= Math.min(lastSeq, 50), `the log shows the run's last events (${lines} lines of ${lastSeq})`);
  await close();
});

test('results: sort by any column, filter passed, open a ticker, download the CSV', async (t) => {
  assert.ok(state.firstRun, 'needs the run of the previous test');
  const run = state.firstRun;
  const probe = await apiGet(`/api/strategies/runs/${run.run_id}/bars/AAPL?days=5`);
  hasBars = probe.status === 200;
  const allow = hasBars ? [] : [/\/bars\/.*status of 404|status of 404.*\/bars\//];
  const { page, close } = await openPage({ allow });
  await page.goto(`${BASE}/#/runs/${run.run_id}`);
  await page.locator('#results-table tbody tr').first().waitFor();

  // Default: score, descending.
  assertSorted(await columnValues(page, 'score'), 'desc', 'score');
  assert.equal(await page.locator('th[data-col="score"]').getAttribute('aria-sort'), 'descending');

  // Ticker, by keyboard: focus the header button and press Enter.
  await page.locator('button[data-sort="ticker"]').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('th[data-col="ticker"]')?.getAttribute('aria-sort') === 'ascending');
  const tickers = await page.$$eval('#results-table tbody th[scope="row"]', (ths) => ths.map((th) => th.textContent.trim()));
  assert.deepEqual(tickers, [...tickers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'tickers ascending');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.sort), 'ticker', 'focus stays on the header');
  await page.locator('button[data-sort="ticker"]').click();
  await page.waitForFunction(() => document.querySelector('th[data-col="ticker"]')?.getAttribute('aria-sort') === 'descending');

  // Each metric column sorts; try two of them, both ways.
  const metricCols = await page.$$eval('#results-table thead th[data-col]', (ths) => ths.map((th) => th.dataset.col).filter((c) => c !== 'ticker' && c !== 'score' && c !== 'passed'));
  assert.ok(metricCols.length > 0, 'metric columns shown');
  for (const col of metricCols.filter((c) => c === 'rsi14' || c === 'volume_multiple').concat(metricCols.slice(0, 1)).slice(0, 2)) {
    await page.locator(`button[data-sort="${col}"]`).click();
    await page.waitForFunction((c) => document.querySelector(`th[data-col="${c}"]`)?.getAttribute('aria-sort') === 'descending', col);
    assertSorted(await columnValues(page, col), 'desc', col);
    await page.locator(`button[data-sort="${col}"]`).click();
    await page.waitForFunction((c) => document.querySelector(`th[data-col="${c}"]`)?.getAttribute('aria-sort') === 'ascending', col);
    assertSorted(await columnValues(page, col), 'asc', col);
    assert.match(page.url(), new RegExp(`sort=${col}`), 'sort kept in the URL');
  }

  // Back to score, then passed only.
  await page.locator('button[data-sort="score"]').click();
  await page.waitForFunction(() => document.querySelector('th[data-col="score"]')?.getAttribute('aria-sort') === 'descending');
  await page.locator('#results-filter label', { hasText: 'Passed only' }).click();
  await page.waitForFunction(() => /passed result/.test(document.querySelector('#results-summary').textContent));
  const passedCells = await page.$$eval('#results-table tbody td[data-col="passed"]', (tds) => tds.map((td) => td.textContent));
  assert.ok(passedCells.length > 0 || run.passed_count === 0);
  assert.ok(passedCells.every((text) => /passed/.test(text)), 'only passed rows');
  assert.equal(passedCells.length, Math.min(run.passed_count, 50));
  assert.match(await page.locator('#results-summary').textContent(), new RegExp(`of ${run.passed_count} passed`));

  // Open a ticker: reasons (and the chart when the server has bars).
  const firstTicker = (await page.locator('#results-table tbody th[scope="row"]').first().textContent()).trim();
  await page.locator('#results-table tbody tr').first().click();
  await page.locator('#ticker-detail .detail').waitFor();
  assert.equal((await page.locator('#detail-h').textContent()).trim(), firstTicker);
  await page.locator('#reasons li').first().waitFor();
  assert.ok(await page.locator('#reasons li').count() > 0, 'reasons listed');
  if (hasBars) {
    await page.locator('#price-chart svg path.chart__line--close').waitFor();
    const d = await page.locator('#price-chart path.chart__line--close').getAttribute('d');
    assert.ok(d && d.length > 100, 'close line drawn');
    assert.ok(await page.locator('#price-chart rect.chart__vol').count() > 50, 'volume bars drawn');
    assert.ok((await page.locator('#price-chart path.chart__line--sma50').getAttribute('d')).length > 50, 'SMA50 drawn');
  } else {
    await page.locator('.chart-missing').waitFor();
    t.diagnostic('the server has no /bars endpoint yet: chart not tested');
  }
  assert.match(page.url(), new RegExp(`ticker=${firstTicker}`));
  await shot(page, '04-results');

  // CSV of what is shown (passed only, sorted by score).
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#results-csv').click()]);
  const file = path.join(DOWNLOADS, `results-${run.run_id}.csv`);
  await download.saveAs(file);
  const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  assert.match(lines[0], /ticker/i, 'CSV header');
  assert.match(lines[0], /score/i, 'CSV header');
  assert.equal(lines.length - 1, run.passed_count, 'one CSV row per passed ticker');
  await close();
});

test('start a run and cancel it from the live view', async (t) => {
  if (!hasPaced) { t.skip('the paced test plugin is not loaded'); return; }
  await drainQueue();
  const { page, close } = await openPage();
  await page.goto(`${BASE}/#/strategies/paced`);
  await page.locator('#param-events').fill('100000');
  await page.locator('#param-rate_per_second').fill('50');
  await page.locator('#start-run').click();
  await page.waitForURL(/#\/runs\//);
  const runId = runIdFromUrl(page.url());
  try {
    await waitFor('progress', async () => (await completedCount(page)) >= 5);
    await connectionSays(page, /Live/);
    await page.locator('#run-status .badge[data-status="running"]').waitFor();
    assert.match(await page.locator('#run-current').textContent(), /T\d+/);
    assert.match(await page.locator('#run-rate').textContent(), /\/s/);
    await shot(page, '05-run-live');
    // One click only asks; "Keep it running" keeps it running.
    await page.locator('#cancel-run').click();
    await page.locator('#cancel-confirm-box').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'cancel-keep', 'focus on the safe choice');
    await page.locator('#cancel-keep').click();
    await page.locator('#cancel-confirm-box').waitFor({ state: 'hidden' });
    assert.equal((await apiGet(`/api/strategies/runs/${runId}`)).body.status, 'running', 'not cancelled by the first click');
    const moving = await completedCount(page);
    await waitFor('progress after keeping it', async () => (await completedCount(page)) > moving);
    // Cancel, confirmed.
    await page.locator('#cancel-run').click();
    await page.locator('#cancel-confirm').click();
    await page.locator('#run-status .badge[data-status="cancelled"]').waitFor({ timeout: 20_000 });
    await page.locator('#cancel-run').waitFor({ state: 'hidden' });
    assert.match(await page.locator('#event-log').textContent(), /cancelled/);
    const run = (await apiGet(`/api/strategies/runs/${runId}`)).body;
    assert.equal(run.status, 'cancelled');
    assert.ok(run.completed_items < 100000);
    // The connection line says how it ended, not "Finished".
    await page.waitForFunction(() => document.querySelector('#run-connection')?.textContent === 'Cancelled');
    await shot(page, '06-run-cancelled');
  } finally {
    await cancelQuietly(runId);
    await close();
  }
});

test('reloading in the middle of a run resumes where it was', async (t) => {
  if (!hasPaced) { t.skip('the paced test plugin is not loaded'); return; }
  await drainQueue();
  const runId = await startPaced();
  const { page, close } = await openPage();
  // Each stream request with the number of main-frame navigations before it, so that a
  // reconnect of the old page's EventSource is never taken for the reloaded page's stream.
  const sseUrls = [];
  let navigations = 0;
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations += 1; });
  page.on('request', (req) => { if (req.url().includes('/api/strategies/sse/')) sseUrls.push({ nav: navigations, url: req.url() }); });
  const requested = () => sseUrls.map((r) => r.url).join(', ');
  try {
    await page.goto(`${BASE}/#/runs/${runId}`);
    // Wait for events the page itself received and showed (its log's last seq), not for the
    // count, which the first GET of the run may already show before any event arrived: a
    // page that has seen no event rightly resumes from the start.
    const shownSeq = async () => {
      const m = /last seq (\d+)/.exec((await page.locator('#event-log-count').textContent()) || '');
      return m ? Number(m[1]) : 0;
    };
    await waitFor('20 events shown', async () => (await shownSeq()) >= 20 && (await completedCount(page)) >= 20);
    const before = await shownSeq();  // a seq (the run's `started` is seq 1)
    const completedBefore = await completedCount(page);  // a count of tickers
    const logBefore = await page.locator('#event-log li').count();
    const navigationsBeforeReload = navigations;
    await page.reload();
    // What was seen shows at once (kept in sessionStorage), then the stream carries on.
    await page.locator('#run-completed').waitFor();
    const rightAfter = await completedCount(page);
    assert.ok(rightAfter >= completedBefore, `after reload shows ${rightAfter} completed, had ${completedBefore}`);
    assert.ok(await page.locator('#event-log li').count() >= Math.min(logBefore, 50), 'the event log survived the reload');
    // The reloaded page opens its stream once it has fetched the run, which on a loaded
    // machine can come after the lifecycle stream already moved the count on: wait for it.
    const reopened = await waitFor('the stream reopened after the reload',
      async () => sseUrls.find((r) => r.nav > navigationsBeforeReload));
    const resumed = reopened.url;
    assert.match(resumed, /[?&]last_event_id=\d+/, `the stream resumed with last_event_id (requests: ${requested()})`);
    await waitFor('progress after the reload', async () => (await completedCount(page)) >= completedBefore + 10);
    const seq = Number(/last_event_id=(\d+)/.exec(resumed)[1]);
    assert.ok(seq >= before, `resumed after seq ${seq}, had shown seq ${before}`);
    await connectionSays(page, /^Live(?! \(polling\))/);
  } finally {
    await cancelQuietly(runId);
    await waitRunDone(runId, 30_000).catch(() => {});
    await close();
  }
});

test('when SSE keeps failing the live view falls back to polling', async (t) => {
  if (!hasPaced) { t.skip('the paced test plugin is not loaded'); return; }
  await drainQueue();
  const runId = await startPaced({ rate_per_second: 100 });
  const { page, close } = await openPage({ allow: [/\/api\/strategies\/sse\//, /ERR_FAILED/] });
  await page.route('**/api/strategies/sse/**', (route) => route.abort('failed'));
  try {
    await page.goto(`${BASE}/#/runs/${runId}`);
    await page.waitForFunction(() => document.querySelector('#run-connection')?.dataset.mode === 'polling', null, { timeout: 30_000 });
    const first = await waitFor('a first poll', async () => completedCount(page));
    await waitFor('progress by polling', async () => (await completedCount(page)) > first + 20);
    assert.ok(await page.locator('#event-log li').count() > 10, 'events fetched with /events?after=');
    await page.locator('#cancel-run').click();
    await page.locator('#cancel-confirm').click();
    await page.locator('#run-status .badge[data-status="cancelled"]').waitFor({ timeout: 20_000 });
  } finally {
    await cancelQuietly(runId);
    await close();
  }
});

test('queue: live running and queued runs, each cancellable', async (t) => {
  if (!hasPaced) { t.skip('the paced test plugin is not loaded'); return; }
  await drainQueue();
  const { body: q0 } = await apiGet('/api/strategies/queue');
  const slots = Math.max(1, Number(q0.max_concurrent) || 2);
  const ids = [];
  const { page, close } = await openPage();
  try {
    await page.goto(`${BASE}/#/queue`);
    await page.locator('#queue-empty').waitFor();
    // Fill every slot and queue one more, at low priority, while the page watches.
    for (let i = 0; i < slots; i += 1) ids.push(await startPaced());
    const queuedId = await startPaced({}, { priority: 'low' });
    ids.push(queuedId);
    await waitFor('all runs in the table', async () => (await page.locator('#queue-table tbody tr').count()) === ids.length);
    const queuedRow = page.locator(`#queue-table tr[data-run-id="${queuedId}"]`);
    await queuedRow.locator('.badge[data-status="queued"]').waitFor();
    assert.match(await queuedRow.locator('td').nth(4).textContent(), /low/);
    await waitFor('the queued run\'s position', async () => /^\d+$/.test((await queuedRow.locator('td').first().textContent()).trim()), { timeout: 10_000 });
    // A queued run says where it waits, not "0.0 % · 0/1".
    const position = (await queuedRow.locator('td').first().textContent()).trim();
    assert.equal((await queuedRow.locator('.cell-progress').textContent()).trim(), `queued · position ${position}`);
    // Progress of a running run moves without a reload.
    const runningRow = page.locator(`#queue-table tr[data-run-id="${ids[0]}"]`);
    await runningRow.locator('.badge[data-status="running"]').waitFor();
    const text1 = await runningRow.locator('.cell-progress').textContent();
    await waitFor('live progress', async () => (await runningRow.locator('.cell-progress').textContent()) !== text1, { timeout: 15_000 });
    assert.match(await page.locator('#queue-summary').textContent(), new RegExp(`${slots} running, 1 queued`));
    await shot(page, '07-queue');
    // Cancel asks once more in the row; Keep leaves the run alone.
    await queuedRow.locator('button[data-action="cancel"]').click();
    await queuedRow.locator('button[data-action="keep"]').click();
    await queuedRow.locator('button[data-action="cancel"]').waitFor();
    assert.equal((await apiGet(`/api/strategies/runs/${queuedId}`)).body.status, 'queued');
    // Cancel the queued one, then the running ones, from the page.
    await queuedRow.locator('button[data-action="cancel"]').click();
    await queuedRow.locator('button[data-action="confirm-cancel"]').click();
    await queuedRow.waitFor({ state: 'detached', timeout: 20_000 });
    for (const id of ids.slice(0, slots)) {
      await page.locator(`#queue-table tr[data-run-id="${id}"] button[data-action="cancel"]`).click();
      await page.locator(`#queue-table tr[data-run-id="${id}"] button[data-action="confirm-cancel"]`).click();
    }
    await page.locator('#queue-empty').waitFor({ timeout: 30_000 });
    for (const id of ids) assert.equal((await waitRunDone(id, 30_000)).status, 'cancelled');
    await page.locator('#recent-finished li').first().waitFor();
  } finally {
    for (const id of ids) await cancelQuietly(id);
    await close();
  }
});

test('a full queue is reported on the form', async (t) => {
  if (!hasPaced) { t.skip('the paced test plugin is not loaded'); return; }
  await drainQueue();
  const { body: q } = await apiGet('/api/strategies/queue');
  const capacity = Number(q.queue_capacity) || 10;
  const slots = Number(q.max_concurrent) || 2;
  if (capacity + slots > 40) { t.skip(`queue too large to fill (${capacity})`); return; }
  const ids = [];
  const { page, close } = await openPage({ allow: [/status of 503/] });
  try {
    for (;;) {
      const res = await apiPost('/api/strategies/execute', { strategy_code: 'paced', parameters: { events: 100000, rate_per_second: 1 } });
      if (res.status === 503) break;
      assert.equal(res.status, 202);
      ids.push(res.body.run_id);
      assert.ok(ids.length <= capacity + slots, 'the queue never filled');
    }
    await page.goto(`${BASE}/#/strategies/bullish_breakout`);
    await page.locator('#start-run').click();
    await page.locator('#form-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#form-error').textContent(), /queue is full/i);
    assert.match(page.url(), /#\/strategies\/bullish_breakout$/);
    assert.equal(await page.locator('#start-run').isEnabled(), true, 'the form can be sent again');
  } finally {
    for (const id of ids) await cancelQuietly(id);
    await close();
  }
});

test('history: filter by strategy and status', async () => {
  const { page, close } = await openPage();
  await page.goto(`${BASE}/#/history`);
  await page.locator('#history-table tbody tr').first().waitFor();
  await page.locator('#filter-strategy option[value="bullish_breakout"]').waitFor({ state: 'attached' });
  // The view re-renders on the hash change: wait for rows that all match, not old ones.
  const rowsAll = (attr, value) => page.waitForFunction(([a, v]) => {
    const trs = [...document.querySelectorAll('#history-table tbody tr')];
    return trs.length > 0 && trs.every((tr) => tr.dataset[a] === v);
  }, [attr, value]);
  await page.locator('#filter-strategy').selectOption('bullish_breakout');
  await page.waitForURL(/strategy=bullish_breakout/);
  await rowsAll('strategy', 'bullish_breakout');
  await page.locator('#filter-status').selectOption('completed');
  await page.waitForURL(/status=completed/);
  await rowsAll('status', 'completed');
  const { body } = await apiGet('/api/strategies/runs?strategy_code=bullish_breakout&status=completed&limit=25');
  assert.ok(body.runs.length > 0);
  await waitFor('every matching run listed', async () => (await page.locator('#history-table tbody tr').count()) === body.runs.length, { timeout: 10_000 });
  assert.ok(await page.$$eval('#history-table tbody tr', (trs) => trs.every((tr) => tr.dataset.strategy === 'bullish_breakout' && tr.dataset.status === 'completed')));
  await shot(page, '08-history');
  if (hasPaced) {
    await page.locator('#filter-strategy').selectOption('paced');
    await page.locator('#filter-status').selectOption('cancelled');
    await page.waitForURL(/strategy=paced&status=cancelled|status=cancelled&strategy=paced/);
    await rowsAll('strategy', 'paced');
    await rowsAll('status', 'cancelled');
  }
  await close();
});

test('compare two runs of one strategy: new entrants, dropouts, score changes', async () => {
  assert.ok(state.firstRun, 'needs the first run');
  await drainQueue();
  const first = state.firstRun;
  const res = await apiPost('/api/strategies/execute', { strategy_code: 'bullish_breakout', parameters: { min_score: 55 }, options: { priority: 'high' } });
  assert.equal(res.status, 202);
  const second = await waitRunDone(res.body.run_id);
  assert.equal(second.status, 'completed');
  const resultsOf = async (id) => (await apiGet(`/api/strategies/runs/${id}/results?limit=100000`)).body.results;
  const [ra, rb] = [await resultsOf(first.run_id), await resultsOf(second.run_id)];
  const passedA = new Set(ra.filter((r) => r.passed).map((r) => r.ticker));
  const passedB = new Set(rb.filter((r) => r.passed).map((r) => r.ticker));
  const entrants = [...passedB].filter((x) => !passedA.has(x));
  const dropouts = [...passedA].filter((x) => !passedB.has(x));

  const { page, close } = await openPage();
  // From the history: tick both runs and press Compare.
  await page.goto(`${BASE}/#/history?strategy=bullish_breakout&status=completed`);
  await page.locator(`#history-table tr[data-run-id="${second.run_id}"] input[type="checkbox"]`).check();
  await page.locator(`#history-table tr[data-run-id="${first.run_id}"] input[type="checkbox"]`).check();
  await page.locator('#compare-selected').click();
  await page.waitForURL(/#\/compare\?/);
  assert.match(page.url(), new RegExp(`a=${first.run_id}&b=${second.run_id}`), 'older run is A');
  await page.locator('#compare-summary').waitFor({ timeout: 60_000 });
  const count = async (id) => Number((await page.locator(`#compare-${id}-h .count`).textContent()).replace(/\D/g, ''));
  assert.equal(await count('entrants'), entrants.length, 'new entrants');
  assert.equal(await count('dropouts'), dropouts.length, 'dropouts');
  if (entrants.length) {
    const shown = await page.$$eval('#compare-entrants tbody tr', (trs) => trs.map((tr) => tr.dataset.ticker));
    assert.deepEqual(new Set(shown), new Set(entrants.slice(0, 100)));
  }
  assert.match(await page.locator('#param-diff').textContent(), /min_score/);
  await shot(page, '09-compare');
  await close();
});

test('phone width: views fit the screen without sideways scrolling', async () => {
  assert.ok(state.firstRun, 'needs the first run');
  const allow = hasBars ? [] : [/status of 404/];
  const { page, close } = await openPage({ viewport: PHONE, allow });
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
  await page.goto(`${BASE}/#/strategies`);
  await page.locator('.strategy-card').first().waitFor();
  assert.ok(await fits(), 'strategies fit');
  await shot(page, '10-phone-strategies');
  await page.goto(`${BASE}/#/strategies/bullish_breakout`);
  await page.locator('#run-form').waitFor();
  assert.ok(await fits(), 'form fits');
  await page.goto(`${BASE}/#/runs/${state.firstRun.run_id}`);
  await page.locator('#results-table tbody tr').first().waitFor();
  assert.ok(await fits(), 'run view fits (wide tables scroll inside their box)');
  await shot(page, '11-phone-run');
  for (const view of ['queue', 'history', 'compare']) {
    await page.goto(`${BASE}/#/${view}`);
    await page.locator('h1').waitFor();
    await page.waitForTimeout(300);
    assert.ok(await fits(), `${view} fits`);
  }
  await close();
});

test('a run that fails shows its error', async (t) => {
  if (!strategies.some((s) => s.code === 'run_throws')) { t.skip('the run_throws test plugin is not loaded'); return; }
  await drainQueue();
  const res = await apiPost('/api/strategies/execute', { strategy_code: 'run_throws', parameters: {}, options: { priority: 'high' } });
  assert.equal(res.status, 202);
  const { page, close } = await openPage();
  await page.goto(`${BASE}/#/runs/${res.body.run_id}`);
  await page.locator('#run-status .badge[data-status="error"]').waitFor({ timeout: 60_000 });
  await page.locator('#run-error').waitFor({ state: 'visible' });
  const run = await waitRunDone(res.body.run_id);
  assert.equal(run.status, 'error');
  if (run.error && run.error.message) assert.match(await page.locator('#run-error').textContent(), new RegExp(run.error.message.slice(0, 15).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.equal(await page.locator('#cancel-run').isVisible(), false);
  await close();
});

test('unknown pages and runs say so', async () => {
  const { page, close } = await openPage({ allow: [/status of 404/] });
  await page.goto(`${BASE}/#/nowhere`);
  assert.match(await page.locator('h1').textContent(), /not found/i);
  await page.goto(`${BASE}/#/runs/00000000-0000-0000-0000-000000000000`);
  await page.locator('h1', { hasText: 'Run not found' }).waitFor();
  await page.goto(`${BASE}/#/strategies/nope`);
  await page.locator('h1', { hasText: 'Unknown strategy' }).waitFor();
  assert.match(await page.title(), /unknown strategy/i, 'the title says the strategy is unknown');
  assert.doesNotMatch(await page.title(), /^Run /, 'not offered as a run form');
  await close();
});

// ---------------------------------------------------------------------------- issue 8

test('synthetic market data are labelled on every page', async (t) => {
  assert.ok(state.firstRun, 'needs the first run');
  const { body: health } = await apiGet('/api/health');
  const allow = hasBars ? [] : [/status of 404/];
  const { page, close } = await openPage({ allow });
  const reported = health && health.market_data && typeof health.market_data.synthetic === 'boolean';
  if (reported) {
    assert.equal(health.market_data.synthetic, true, 'run.sh serves the output of `stratrun data synth`');
  } else {
    // The server does not say yet: test the page with the contract's field added.
    t.diagnostic('GET /api/health has no market_data yet: the banner is tested with it added to the answer');
    await page.route('**/api/health', async (route) => {
      const res = await route.fetch();
      route.fulfill({ response: res, json: { ...(await res.json()), market_data: { synthetic: true, dir: '/data' } } });
    });
  }
  for (const view of ['#/strategies', '#/strategies/bullish_breakout', '#/queue', '#/history', '#/compare', `#/runs/${state.firstRun.run_id}`, '#/nowhere']) {
    await page.goto('about:blank');
    await page.goto(`${BASE}/${view}`);
    await page.locator('#data-banner').waitFor({ state: 'visible' });
    assert.match(await page.locator('#data-banner').textContent(), /SYNTHETIC prices, not real market data/, view);
    assert.equal(await page.locator('#data-badge').isVisible(), true, `header badge on ${view}`);
    assert.match(await page.locator('#server-info').textContent(), /synthetic/, `footer on ${view}`);
  }
  await close();
});

test('no data banner when the server does not say the data are synthetic', async () => {
  const { page, close } = await openPage();
  // Absent field = unknown = no banner; and synthetic:false = no banner.
  for (const md of [undefined, { synthetic: false, dir: '/real' }]) {
    await page.unrouteAll();
    await page.route('**/api/health', async (route) => {
      const res = await route.fetch();
      const json = { ...(await res.json()) };
      delete json.market_data;
      if (md) json.market_data = md;
      route.fulfill({ response: res, json });
    });
    await page.goto('about:blank');
    await page.goto(`${BASE}/#/strategies`);
    await page.waitForFunction(() => /server ok/.test(document.getElementById('server-info').textContent));
    assert.equal(await page.locator('#data-banner').isVisible(), false, JSON.stringify(md));
    assert.equal(await page.locator('#data-badge').isVisible(), false, JSON.stringify(md));
  }
  await close();
});

test('an opened ticker panel is on screen, after a click and from a ?ticker= link', async () => {
  assert.ok(state.firstRun, 'needs the first run');
  const run = state.firstRun;
  const allow = hasBars ? [] : [/status of 404/];
  const { page, close } = await openPage({ allow });
  await page.goto(`${BASE}/#/runs/${run.run_id}`);
  const rows = page.locator('#results-table tbody tr');
  await rows.first().waitFor();
  const count = await rows.count();
  assert.ok(count >= 20, `a long table (${count} rows)`);
  // A row far down the table: the panel opens below all 50 rows.
  const row = rows.nth(count - 3);
  const ticker = (await row.locator('th').textContent()).trim();
  await row.locator('th button').click();
  await page.locator('#ticker-detail .chart-host.chart-host--ready').waitFor();
  await waitFor('the chart on screen after a click', () => inViewport(page, '#ticker-detail .chart-host'), { timeout: 10_000 });
  assert.equal((await page.locator('#detail-h').textContent()).trim(), ticker);
  // The link of that state, opened afresh.
  const link = page.url();
  assert.match(link, new RegExp(`ticker=${ticker}`));
  const other = await openPage({ allow });
  await other.page.goto(link);
  await other.page.locator('#ticker-detail .chart-host.chart-host--ready').waitFor();
  await waitFor('the chart on screen from a ?ticker= link', () => inViewport(other.page, '#ticker-detail .chart-host'), { timeout: 10_000 });
  await other.close();
  await close();
});

test('phone width: results show ticker, score, passed and the sort column', async () => {
  assert.ok(state.firstRun, 'needs the first run');
  const run = state.firstRun;
  const { body } = await apiGet(`/api/strategies/runs/${run.run_id}/results?limit=1`);
  const metrics = Object.keys(body.results[0].metrics || {});
  assert.ok(metrics.length > 2, 'the run has metrics');
  const sortKey = metrics[metrics.length - 1]; // the last one: far right before the fix
  const allow = hasBars ? [] : [/status of 404/];
  const { page, close } = await openPage({ viewport: PHONE, allow });
  await page.goto(`${BASE}/#/runs/${run.run_id}?sort=${encodeURIComponent(sortKey)}&order=desc`);
  await page.waitForFunction((k) => document.querySelector(`#results-table th[data-col="${k}"]`)?.getAttribute('aria-sort') === 'descending', sortKey);
  await page.locator('#results-table').scrollIntoViewIfNeeded();
  for (const col of ['ticker', 'score', 'passed', sortKey]) {
    assert.ok(await inViewport(page, `#results-table thead th[data-col="${CSS_escape(col)}"]`, { horizontalOnly: true }), `${col} header on screen`);
  }
  for (const cell of ['th[scope="row"]', 'td[data-col="score"]', 'td[data-col="passed"]', `td[data-col="${CSS_escape(sortKey)}"]`]) {
    assert.ok(await inViewport(page, `#results-table tbody tr:first-child ${cell}`, { horizontalOnly: true }), `${cell} on screen`);
  }
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the page does not scroll sideways');
  await shot(page, '12-phone-results-sorted');
  await close();
});

function CSS_escape(s) { return String(s).replace(/["\\]/g, '\\$&'); }

test('phone width: the queue shows each run\'s progress and Cancel on screen', async (t) => {
  if (!hasPaced) { t.skip('the paced test plugin is not loaded'); return; }
  await drainQueue();
  const { body: q0 } = await apiGet('/api/strategies/queue');
  const slots = Math.max(1, Number(q0.max_concurrent) || 2);
  const ids = [];
  const { page, close } = await openPage({ viewport: PHONE });
  try {
    for (let i = 0; i < slots; i += 1) ids.push(await startPaced());
    ids.push(await startPaced({}, { priority: 'low' }));
    await page.goto(`${BASE}/#/queue`);
    await waitFor('all runs in the table', async () => (await page.locator('#queue-table tbody tr').count()) === ids.length);
    await page.locator(`#queue-table tr[data-run-id="${ids[0]}"] .badge[data-status="running"]`).waitFor();
    for (const id of ids) {
      const row = `#queue-table tr[data-run-id="${id}"]`;
      assert.ok(await inViewport(page, `${row} button[data-action="cancel"]`), `Cancel of ${id} on screen`);
      assert.ok(await inViewport(page, `${row} td[data-col="progress"] .small`), `progress of ${id} on screen`);
      assert.ok(await inViewport(page, `${row} td[data-col="status"] .badge`), `status of ${id} on screen`);
    }
    assert.match(await page.locator(`#queue-table tr[data-run-id="${ids[0]}"] td[data-col="progress"]`).textContent(), /%/);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the page does not scroll sideways');
    await shot(page, '13-phone-queue');
    // The confirm step fits too.
    const first = `#queue-table tr[data-run-id="${ids[0]}"]`;
    await page.locator(`${first} button[data-action="cancel"]`).click();
    assert.ok(await inViewport(page, `${first} button[data-action="confirm-cancel"]`), 'Yes, cancel on screen');
    await page.locator(`${first} button[data-action="confirm-cancel"]`).click();
    assert.equal((await waitRunDone(ids[0], 30_000)).status, 'cancelled');
  } finally {
    for (const id of ids) await cancelQuietly(id);
    await close();
  }
});

test('when the server stops: a shutdown warning, then nothing claims live or ok', async (t) => {
  if (!process.env.STRATRUN_BIN || !process.env.STRATRUN_DATA || !process.env.STRATRUN_WORK) { t.skip('run through run.sh'); return; }
  const grace = 6;
  let srv = await startOwnServer({ grace, name: 'stopping' });
  let again = null;
  const { page, close } = await openPage({ allow: [/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_CONNECTION_RESET|Failed to load resource/] });
  try {
    let runId = null;
    if (hasPaced) {
      const res = await apiPost(`${srv.url}/api/strategies/execute`, { strategy_code: 'paced', parameters: { events: 100000, rate_per_second: 50 } });
      assert.equal(res.status, 202);
      runId = res.body.run_id;
      await page.goto(`${srv.url}/#/runs/${runId}`);
      await waitFor('progress', async () => (await completedCount(page)) >= 5);
      await connectionSays(page, /^Live$/);
    } else {
      await page.goto(`${srv.url}/#/queue`);
    }
    await page.waitForFunction(() => /server ok/.test(document.getElementById('server-info').textContent));
    const stopped = srv.stop('SIGTERM', 60_000);
    // Does this build's server announce its shutdown? (the contract: health says shutting_down)
    let announced = false;
    while (!srv.gone) {
      const res = await apiGet(`${srv.url}/api/health`).catch(() => null);
      if (!res) break;
      if (res.body && res.body.status === 'shutting_down') { announced = true; break; }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (announced) {
      await page.locator('#shutdown-banner').waitFor({ state: 'visible', timeout: 15_000 });
      assert.match(await page.locator('#shutdown-banner').textContent(), new RegExp(`shutting down — running runs get ${grace} s to finish`));
      if (runId) await connectionSays(page, /shutting down/);
      await shot(page, '14-server-shutting-down');
    } else {
      t.diagnostic('this server does not report shutting_down yet: the shutdown warning is not tested');
    }
    if (runId) {
      // Cancelled by the shutdown: the reason is said once, not twice.
      await page.locator('#run-status .badge[data-status="cancelled"]').waitFor({ timeout: 60_000 });
      const card = await page.locator('.run-live').innerText();
      const times = (card.match(/server shutting down/g) || []).length;
      assert.ok(times <= 1, `"server shutting down" said ${times} times in the progress card: ${card}`);
      await connectionSays(page, /^Cancelled$/);
    }
    await stopped;
    // Down: the contact banner, and neither the footer nor any view says live or ok.
    await page.locator('#banner').waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await page.locator('#banner').textContent(), /Lost contact/);
    await page.waitForFunction(() => /unreachable/.test(document.getElementById('server-info').textContent), null, { timeout: 15_000 });
    assert.doesNotMatch(await page.locator('#server-info').textContent(), /\bok\b/);
    assert.equal(await page.locator('#shutdown-banner').isVisible(), false, 'the server is gone, not shutting down');
    if (runId) assert.doesNotMatch(await page.locator('#run-connection').textContent(), /Live/);
    await page.evaluate(() => { location.hash = '#/queue'; });
    await page.locator('#queue-connection').waitFor();
    await page.waitForFunction(() => document.querySelector('#queue-connection')?.dataset.mode === 'offline', null, { timeout: 15_000 });
    assert.doesNotMatch(await page.locator('#queue-connection').textContent(), /Live/);
    assert.doesNotMatch(await page.locator('#queue-summary').textContent(), /0 running/);
    assert.equal(await page.locator('#queue-empty').isVisible(), false, 'not "nothing is running": it is not known');
    await shot(page, '15-server-down');
    // Back on the same port: the page says so by itself.
    again = await startOwnServer({ port: srv.port, grace, name: 'stopping' });
    srv = null;
    await page.locator('#banner').waitFor({ state: 'hidden', timeout: 30_000 });
    await page.waitForFunction(() => /server ok/.test(document.getElementById('server-info').textContent), null, { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector('#queue-connection')?.dataset.mode !== 'offline', null, { timeout: 30_000 });
  } finally {
    if (srv) await srv.stop('SIGKILL');
    if (again) await again.stop('SIGTERM');
    await close();
  }
});

test('the shutdown warning shows on every page while the server says it is shutting down', async () => {
  // The page's side of the contract, whatever this build's server does: /api/health says
  // "shutting_down" and the lifecycle stream sends `server` {state, grace_seconds}.
  const runId = hasPaced ? await startPaced() : null;
  const { page, close } = await openPage({ allow: hasBars ? [] : [/status of 404/] });
  try {
    await page.route('**/api/health', async (route) => {
      const res = await route.fetch();
      route.fulfill({ response: res, json: { ...(await res.json()), status: 'shutting_down' } });
    });
    await page.route('**/api/events', (route) => route.fulfill({
      status: 200,
      headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' },
      body: 'retry: 60000\n\nevent: snapshot\ndata: {"runs":[]}\n\nevent: server\ndata: {"state":"shutting_down","grace_seconds":7}\n\n',
    }));
    const views = ['#/strategies', '#/queue', '#/history', '#/compare', `#/runs/${runId || state.firstRun.run_id}`];
    for (const view of views) {
      await page.goto('about:blank');
      await page.goto(`${BASE}/${view}`);
      await page.waitForFunction(() => /running runs get 7 s to finish/.test(document.getElementById('shutdown-banner').textContent)
        && !document.getElementById('shutdown-banner').hidden);
      assert.match(await page.locator('#shutdown-banner').textContent(), /server is shutting down — running runs get 7 s to finish/, view);
      assert.match(await page.locator('#server-info').textContent(), /server shutting down/, view);
      assert.doesNotMatch(await page.locator('#server-info').textContent(), /server ok/, view);
    }
    if (runId) {
      // The run being watched is live, and says the server is going.
      await page.waitForFunction(() => /^Live · server shutting down$/.test(document.querySelector('#run-connection')?.textContent || ''));
    }
  } finally {
    await cancelQuietly(runId);
    if (runId) await waitRunDone(runId, 30_000).catch(() => {});
    await close();
  }
});
