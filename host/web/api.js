// The host's HTTP API (DESIGN.md). Every call returns parsed JSON or throws ApiError,
// which carries the HTTP status and the server's {"error":{code,message,field}}.

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const err = body && typeof body === 'object' && body.error ? body.error : null;
    const message = err && err.message
      ? err.message
      : status === 0 ? 'cannot reach the stratrun server' : `request failed with HTTP ${status}`;
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = err && err.code ? err.code : status === 0 ? 'network' : `http_${status}`;
    this.field = err && err.field ? err.field : null;
    this.retryAfter = retryAfter ? Number(retryAfter) : null;
    this.body = body === undefined ? null : body; // the parsed answer, when there was one
  }
}

async function request(method, path, { body, signal } = {}) {
  let res;
  try {
    res = await fetch(path, {
      method,
      signal,
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, null, null);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) throw new ApiError(res.status, data, res.headers.get('Retry-After'));
  return data;
}

function qs(params) {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === '') continue;
    out.set(key, String(value));
  }
  const s = out.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

export const api = {
  health: (opts) => request('GET', '/api/health', opts),
  strategies: (opts) => request('GET', '/api/strategies', opts),
  strategy: (code, opts) => request('GET', `/api/strategies/${enc(code)}`, opts),
  /** body: {strategy_code, parameters, options:{priority, max_execution_time}} → 202 */
  execute: (body, opts) => request('POST', '/api/strategies/execute', { ...opts, body }),
  runs: (query, opts) => request('GET', `/api/strategies/runs${qs(query)}`, opts),
  run: (id, opts) => request('GET', `/api/strategies/runs/${enc(id)}`, opts),
  status: (id, opts) => request('GET', `/api/strategies/runs/${enc(id)}/status`, opts),
  events: (id, after, opts) => request('GET', `/api/strategies/runs/${enc(id)}/events${qs({ after })}`, opts),
  eventsTail: (id, tail, opts) => request('GET', `/api/strategies/runs/${enc(id)}/events${qs({ tail })}`, opts),
  results: (id, query, opts) => request('GET', `/api/strategies/runs/${enc(id)}/results${qs(query)}`, opts),
  cancel: (id, opts) => request('POST', `/api/strategies/runs/${enc(id)}/cancel`, { ...opts, body: {} }),
  queue: (opts) => request('GET', '/api/strategies/queue', opts),
  bars: (id, ticker, days, opts) => request('GET', `/api/strategies/runs/${enc(id)}/bars/${enc(ticker)}${qs({ days })}`, opts),
};

export const urls = {
  sse: (id, lastEventId) => `/api/strategies/sse/${enc(id)}${qs({ last_event_id: lastEventId || undefined })}`,
  events: '/api/events',
  resultsCsv: (id, query) => `/api/strategies/runs/${enc(id)}/results${qs({ ...query, format: 'csv' })}`,
};

/** Fetches every result row of a run, page by page (for Compare). */
export async function allResults(id, { signal, cap = 50000 } = {}) {
  const rows = [];
  const limit = 1000;
  for (let offset = 0; offset < cap; offset += limit) {
    const page = await api.results(id, { sort: 'ticker', order: 'asc', limit, offset }, { signal });
    const got = page && Array.isArray(page.results) ? page.results : [];
    rows.push(...got);
    const total = page && Number.isFinite(page.total) ? page.total : rows.length;
    if (got.length < limit || rows.length >= total) break;
  }
  return rows;
}
