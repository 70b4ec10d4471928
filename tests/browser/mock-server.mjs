#!/usr/bin/env node
// A stand-in for `stratrun serve`, for working on the dashboard while the real server is
// missing or broken: the HTTP API and SSE of /work/shared/DESIGN.md, with each run done by
// the real CLI (`stratrun run … --progress json --output json`), so events, results and
// validation are the plugins' own. Not used by CI when the real server exists: run.sh uses
// it only when given `mock` in place of the binary, or STRATRUN_MOCK=1.
//
//   node mock-server.mjs --stratrun BIN [--plugins DIR] --data DIR --db FILE [--port N] [--host H]
//
// Prints "listening on http://HOST:PORT" when ready, like the real server.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const BIN = opt('stratrun');
const PLUGINS = opt('plugins', '');
const DATA = opt('data');
const DB = opt('db');
const HOST = opt('host', '127.0.0.1');
const PORT = Number(opt('port', '0'));
const WEB = path.resolve(opt('web', path.join(here, '../../host/web')));
const MAX_CONCURRENT = Number(process.env.MAX_CONCURRENT_EXECUTIONS || 2);
const QUEUE_SIZE = Number(process.env.EXECUTION_QUEUE_SIZE || 10);
if (!BIN || !DATA || !DB) {
  console.error('usage: mock-server.mjs --stratrun BIN [--plugins DIR] --data DIR --db FILE [--port N]');
  process.exit(2);
}

const globalArgs = ['--log-level', 'off', ...(PLUGINS ? ['--plugins', PLUGINS] : [])];
const listing = JSON.parse(execFileSync(BIN, [...globalArgs, 'list', '--json'], { encoding: 'utf8' }));
const strategies = listing.strategies.map((s) => JSON.parse(execFileSync(BIN, [...globalArgs, 'describe', s.code, '--json'], { encoding: 'utf8' })));
const byCode = new Map(strategies.map((s) => [s.code, s]));

const runs = new Map(); // run_id → run
const order = []; // run ids, oldest first
const hubClients = new Set();

const now = () => new Date().toISOString();

function publicRun(r) {
  const { events, subscribers, child, results, cliRunId, lastHub, hubTimer, pendingTerminal, cancelRequested, tickers_per_second, ...rest } = r;
  const end = r.finished_at ? Date.parse(r.finished_at) : Date.now();
  return { ...rest, duration_seconds: r.started_at ? (end - Date.parse(r.started_at)) / 1000 : null };
}

function hubSend(r, force) {
  const write = () => {
    r.lastHub = Date.now();
    const data = `event: run\ndata: ${JSON.stringify(publicRun(r))}\n\n`;
    for (const res of hubClients) res.write(data);
  };
  clearTimeout(r.hubTimer);
  if (force || Date.now() - (r.lastHub || 0) >= 500) write();
  else r.hubTimer = setTimeout(write, 500);
}

function addEvent(r, ev) {
  const event = { ...ev, seq: r.events.length + 1, run_id: r.run_id, timestamp: ev.timestamp || now() };
  r.events.push(event);
  if (event.progress_percent !== undefined) r.progress_percent = event.progress_percent;
  if (event.stage) r.current_stage = event.stage;
  if (event.total_items !== undefined) r.total_items = event.total_items;
  if (event.completed_items !== undefined) r.completed_items = event.completed_items;
  if (event.metrics && event.metrics.passed_count !== undefined) r.passed_count = event.metrics.passed_count;
  if (event.metrics && event.metrics.tickers_per_second !== undefined) r.tickers_per_second = event.metrics.tickers_per_second;
  const terminal = ['completed', 'error', 'cancelled'].includes(event.event_type);
  for (const res of r.subscribers) {
    res.write(`id: ${event.seq}\nevent: ${event.event_type}\ndata: ${JSON.stringify(event)}\n\n`);
    if (terminal) res.end();
  }
  if (terminal) r.subscribers.clear();
}

function finish(r, status, error) {
  if (['completed', 'error', 'cancelled'].includes(r.status)) return;
  r.status = status;
  r.finished_at = now();
  r.error = error || null;
  if (!r.events.some((e) => ['completed', 'error', 'cancelled'].includes(e.event_type))) {
    addEvent(r, { event_type: status, message: error ? error.message : status, error_code: error ? error.code : undefined, metrics: { passed_count: r.passed_count } });
  }
  hubSend(r, true);
  schedule();
}

function schedule() {
  const running = [...runs.values()].filter((r) => ['starting', 'running', 'completing'].includes(r.status)).length;
  let free = MAX_CONCURRENT - running;
  const rank = { high: 0, normal: 1, low: 2 };
  const queued = [...runs.values()].filter((r) => r.status === 'queued')
    .sort((a, b) => rank[a.priority] - rank[b.priority] || a.created_at.localeCompare(b.created_at));
  while (free > 0 && queued.length) { start(queued.shift()); free -= 1; }
}

function start(r) {
  r.status = 'running';
  r.started_at = now();
  const s = byCode.get(r.strategy_code);
  const cli = [...globalArgs, 'run', r.strategy_code, '--data', DATA, '--db', DB, '--progress', 'json', '--output', 'json'];
  for (const p of s.parameters) {
    const v = r.parameters[p.name];
    if (v === undefined) continue;
    if (p.type === 'string_list') { if (v.length) cli.push('--set', `${p.name}=${v.join(',')}`); } else cli.push('--set', `${p.name}=${v}`);
  }
  const child = spawn(BIN, cli, { stdio: ['ignore', 'pipe', 'pipe'] });
  r.child = child;
  let buffer = '';
  let output = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.startsWith('PROGRESS:')) {
        let ev;
        try { ev = JSON.parse(line.slice(9)); } catch { continue; }
        r.cliRunId = ev.run_id;
        const { seq, run_id, ...rest } = ev;
        if (['completed', 'error', 'cancelled'].includes(ev.event_type)) { r.pendingTerminal = rest; continue; }
        addEvent(r, rest);
        hubSend(r, ev.event_type !== 'ticker_completed' && ev.event_type !== 'progress');
      } else {
        output += `${line}\n`;
      }
    }
  });
  child.stderr.on('data', (c) => { stderr += c; });
  child.on('exit', (code) => {
    output += buffer;
    try { r.results = JSON.parse(output.trim() || '[]'); } catch { r.results = []; }
    r.result_count = r.results.length;
    r.passed_count = r.results.filter((x) => x.passed).length;
    const term = r.pendingTerminal;
    if (term) addEvent(r, { ...term, metrics: { ...(term.metrics || {}), passed_count: r.passed_count } });
    if (r.cancelRequested || code === 130) finish(r, 'cancelled');
    else if (code === 0) finish(r, 'completed');
    else finish(r, 'error', { code: term && term.error_code ? term.error_code : 'internal', message: (term && term.message) || stderr.trim() || `exit ${code}` });
  });
}

function validate(s, params) {
  for (const [name, value] of Object.entries(params)) {
    const p = s.parameters.find((x) => x.name === name);
    if (!p) return { field: name, message: `unknown parameter '${name}'` };
    const num = p.type === 'integer' || p.type === 'number';
    if (num && typeof value !== 'number') return { field: name, message: `parameter '${name}' must be a number` };
    if (p.type === 'integer' && !Number.isInteger(value)) return { field: name, message: `parameter '${name}' must be an integer` };
    if (num && p.minimum !== undefined && value < p.minimum) return { field: name, message: `parameter '${name}' must be at least ${p.minimum} (got ${value})` };
    if (num && p.maximum !== undefined && value > p.maximum) return { field: name, message: `parameter '${name}' must be at most ${p.maximum} (got ${value})` };
    if (p.type === 'boolean' && typeof value !== 'boolean') return { field: name, message: `parameter '${name}' must be true or false` };
    if (p.type === 'enum' && !p.values.includes(value)) return { field: name, message: `parameter '${name}' must be one of ${p.values.join(', ')}` };
    if (p.type === 'string_list' && !Array.isArray(value)) return { field: name, message: `parameter '${name}' must be a list of strings` };
  }
  return null;
}

function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}
const fail = (res, status, code, message, field, headers) => json(res, status, { error: { code, message, ...(field ? { field } : {}) } }, headers);

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json' };
function serveFile(res, rel) {
  const file = path.resolve(WEB, rel);
  if (!file.startsWith(WEB + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return fail(res, 404, 'not_found', 'no such file');
  res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
  res.end(fs.readFileSync(file));
}

function sseHead(res) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.write('retry: 2000\n\n');
}

function sortRows(rows, sort, order) {
  const key = (row) => (sort === 'ticker' ? row.ticker : sort === 'score' ? row.score : sort === 'passed' ? (row.passed ? 1 : 0) : row.metrics ? row.metrics[sort] : undefined);
  const dir = order === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = key(a); const y = key(b);
    if (x === y) return a.ticker.localeCompare(b.ticker);
    if (x === undefined || x === null) return 1;
    if (y === undefined || y === null) return -1;
    return (x < y ? -1 : 1) * dir;
  });
}

function csv(rows) {
  const metricKeys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics || {})))];
  const q = (v) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  return [['ticker', 'score', 'passed', ...metricKeys, 'reasons'].join(','),
    ...rows.map((r) => [r.ticker, r.score, r.passed, ...metricKeys.map((k) => (r.metrics || {})[k]), (r.reasons || []).join('; ')].map(q).join(','))].join('\n') + '\n';
}

async function readBody(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  const m = (re) => p.match(re);
  let match;
  try {
    if (req.method === 'GET' && (p === '/' || p === '/index.html')) return serveFile(res, 'index.html');
    if (req.method === 'GET' && p.startsWith('/web/')) return serveFile(res, decodeURIComponent(p.slice(5)));
    if (p === '/api/health') return json(res, 200, { status: 'ok', version: 'mock', plugins: strategies.length });
    if (req.method === 'GET' && p === '/api/strategies') return json(res, 200, { strategies, rejected: listing.rejected || [] });
    if (req.method === 'GET' && p === '/api/strategies/queue') {
      const active = [...runs.values()].filter((r) => ['queued', 'starting', 'running', 'completing'].includes(r.status));
      const running = active.filter((r) => r.status !== 'queued');
      const rank = { high: 0, normal: 1, low: 2 };
      const queued = active.filter((r) => r.status === 'queued').sort((a, b) => rank[a.priority] - rank[b.priority] || a.created_at.localeCompare(b.created_at));
      const queue = [...running.map((r) => ({ ...pick(r), position: 0 })), ...queued.map((r, i) => ({ ...pick(r), position: i + 1, estimated_start: new Date(Date.now() + (i + 1) * 30000).toISOString() }))];
      return json(res, 200, { queue, total_queued: queued.length, max_concurrent: MAX_CONCURRENT });
    }
    if (req.method === 'POST' && p === '/api/strategies/execute') {
      let body;
      try { body = JSON.parse(await readBody(req)); } catch { return fail(res, 400, 'invalid_json', 'the body is not JSON'); }
      const s = byCode.get(body.strategy_code);
      if (!s) return fail(res, 404, 'not_found', `no strategy '${body.strategy_code}'`, 'strategy_code');
      const problem = validate(s, body.parameters || {});
      if (problem) return fail(res, 422, 'invalid_argument', problem.message, problem.field);
      const priority = (body.options && body.options.priority) || 'normal';
      if (!['low', 'normal', 'high'].includes(priority)) return fail(res, 422, 'invalid_argument', 'priority must be low, normal or high', 'priority');
      const queuedCount = [...runs.values()].filter((r) => r.status === 'queued').length;
      if (queuedCount >= QUEUE_SIZE) return fail(res, 503, 'resource_exhausted', 'the queue is full', null, { 'Retry-After': '5' });
      const parameters = {};
      for (const prm of s.parameters) parameters[prm.name] = body.parameters && body.parameters[prm.name] !== undefined ? body.parameters[prm.name] : prm.default;
      const r = {
        run_id: randomUUID(), strategy_code: s.code, plugin_version: s.version, status: 'queued', priority, source: 'api',
        created_at: now(), started_at: null, finished_at: null, progress_percent: 0, current_stage: null, total_items: null,
        completed_items: 0, result_count: 0, passed_count: 0, error: null, parameters, events: [], subscribers: new Set(), results: null,
      };
      runs.set(r.run_id, r);
      order.push(r.run_id);
      hubSend(r, true);
      schedule();
      const position = r.status === 'queued' ? [...runs.values()].filter((x) => x.status === 'queued').length : 0;
      return json(res, 202, { run_id: r.run_id, status: r.status, position_in_queue: position, estimated_start_time: now(), sse_endpoint: `/api/strategies/sse/${r.run_id}` });
    }
    if (req.method === 'GET' && p === '/api/events') {
      sseHead(res);
      const active = [...runs.values()].filter((r) => !['completed', 'error', 'cancelled'].includes(r.status));
      res.write(`event: snapshot\ndata: ${JSON.stringify({ runs: active.map(publicRun) })}\n\n`);
      hubClients.add(res);
      const beat = setInterval(() => res.write(': heartbeat\n\n'), 15000);
      req.on('close', () => { hubClients.delete(res); clearInterval(beat); });
      return undefined;
    }
    if ((match = m(/^\/api\/strategies\/sse\/([^/]+)$/))) {
      const r = runs.get(match[1]);
      if (!r) return fail(res, 404, 'not_found', 'no such run');
      const after = Number(req.headers['last-event-id'] || url.searchParams.get('last_event_id') || 0);
      sseHead(res);
      for (const ev of r.events) if (ev.seq > after) res.write(`id: ${ev.seq}\nevent: ${ev.event_type}\ndata: ${JSON.stringify(ev)}\n\n`);
      if (['completed', 'error', 'cancelled'].includes(r.status)) return res.end();
      r.subscribers.add(res);
      req.on('close', () => r.subscribers.delete(res));
      return undefined;
    }
    if (req.method === 'GET' && p === '/api/strategies/runs') {
      const status = url.searchParams.get('status');
      const code = url.searchParams.get('strategy_code');
      const limit = Number(url.searchParams.get('limit') || 50);
      const offset = Number(url.searchParams.get('offset') || 0);
      const list = [...order].reverse().map((id) => runs.get(id)).filter((r) => (!status || r.status === status) && (!code || r.strategy_code === code));
      return json(res, 200, { runs: list.slice(offset, offset + limit).map(publicRun), total: list.length });
    }
    if ((match = m(/^\/api\/strategies\/runs\/([^/]+)(\/[a-z]+)?(\/([^/]+))?$/))) {
      const r = runs.get(match[1]);
      if (!r) return fail(res, 404, 'not_found', `no run '${match[1]}'`);
      const sub = match[2] || '';
      if (sub === '' && req.method === 'GET') return json(res, 200, publicRun(r));
      if (sub === '/status') {
        return json(res, 200, {
          run_id: r.run_id, status: r.status, progress_percent: r.progress_percent, current_stage: r.current_stage, started_at: r.started_at,
          estimated_completion: null, can_cancel: !['completed', 'error', 'cancelled'].includes(r.status),
          metrics: { processed_tickers: r.completed_items, total_tickers: r.total_items, tickers_per_second: r.tickers_per_second || 0, passed_count: r.passed_count },
        });
      }
      if (sub === '/events') {
        const after = Number(url.searchParams.get('after') || 0);
        return json(res, 200, { events: r.events.filter((e) => e.seq > after) });
      }
      if (sub === '/cancel' && req.method === 'POST') {
        if (['completed', 'error', 'cancelled'].includes(r.status)) return fail(res, 409, 'failed_precondition', `run already ${r.status}`);
        r.cancelRequested = true;
        if (r.status === 'queued') finish(r, 'cancelled');
        else if (r.child) r.child.kill('SIGINT');
        return json(res, 200, { cancelled: true, message: 'Execution cancelled successfully' });
      }
      if (sub === '/results') {
        let rows = r.results || [];
        if (url.searchParams.get('passed') === 'true') rows = rows.filter((x) => x.passed);
        rows = sortRows(rows, url.searchParams.get('sort') || 'score', url.searchParams.get('order') || (url.searchParams.get('sort') === 'ticker' ? 'asc' : 'desc'));
        if (url.searchParams.get('format') === 'csv') {
          res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${r.run_id}-results.csv"` });
          return res.end(csv(rows));
        }
        const limit = Number(url.searchParams.get('limit') || 1000);
        const offset = Number(url.searchParams.get('offset') || 0);
        return json(res, 200, { results: rows.slice(offset, offset + limit), total: rows.length });
      }
      if (sub === '/bars' && match[4]) {
        const ticker = decodeURIComponent(match[4]);
        const file = path.join(DATA, `${ticker}.csv`);
        if (!/^[A-Za-z0-9.\-^]+$/.test(ticker) || !fs.existsSync(file)) return fail(res, 404, 'not_found', `no bars for '${ticker}'`);
        const days = Number(url.searchParams.get('days') || 252);
        const lines = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1);
        const bars = lines.slice(-days).map((l) => {
          const [date, open, high, low, close, , volume] = l.split(',');
          return { date, open: +open, high: +high, low: +low, close: +close, volume: +volume };
        });
        return json(res, 200, { ticker, bars });
      }
    }
    if ((match = m(/^\/api\/strategies\/([^/]+)$/)) && req.method === 'GET') {
      const s = byCode.get(decodeURIComponent(match[1]));
      return s ? json(res, 200, s) : fail(res, 404, 'not_found', `no strategy '${match[1]}'`);
    }
    return fail(res, 404, 'not_found', `no route ${req.method} ${p}`);
  } catch (e) {
    console.error(e);
    if (!res.headersSent) fail(res, 500, 'internal', String(e));
    return undefined;
  }
});

function pick(r) {
  return { run_id: r.run_id, strategy_code: r.strategy_code, status: r.status, priority: r.priority, started_at: r.started_at, progress_percent: r.progress_percent };
}

server.listen(PORT, HOST, () => {
  console.log(`listening on http://${HOST}:${server.address().port}`);
});
const stop = () => {
  for (const r of runs.values()) if (r.child) r.child.kill('SIGINT');
  for (const res of hubClients) res.end();
  server.close();
  setTimeout(() => process.exit(0), 200).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
