// Strategies: every loaded plugin and every rejected file; the run form generated from a
// strategy's parameter schema, with the server's 422 shown next to the field it names.

import { api } from '../api.js';
import { h, replace, errorBox, pageTitle, statusBadge, timeEl, shortId, fmtDuration, fmtInt, tableWrap, announce } from '../util.js';

export function mountStrategies(container, { signal }) {
  pageTitle('Strategies');
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading strategies…'));
  replace(container,
    h('div', { class: 'page-head' },
      h('h1', { tabindex: '-1' }, 'Strategies'),
      h('p', { class: 'lede' }, 'Plugins the host has loaded. Pick one to start a run.')),
    body);

  api.strategies({ signal }).then((data) => {
    if (signal.aborted) return;
    const strategies = (data && data.strategies) || [];
    const rejected = (data && data.rejected) || [];
    replace(body,
      strategies.length
        ? h('ul', { class: 'cards', 'aria-label': 'Strategies' }, strategies.map(strategyCard))
        : h('p', { class: 'notice' }, 'No strategies are loaded. Put plugin files (.so) in the plugin folder and restart the server.'),
      h('section', { class: 'section', 'aria-labelledby': 'rejected-h' },
        h('h2', { id: 'rejected-h' }, 'Rejected plugin files ', h('span', { class: 'count' }, `(${rejected.length})`)),
        rejected.length
          ? tableWrap('Rejected plugin files', h('table', { class: 'table', id: 'rejected' },
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'File'), h('th', { scope: 'col' }, 'Reason'))),
            h('tbody', null, rejected.map((r) => h('tr', null,
              h('td', { class: 'mono break' }, r.file || '—'),
              h('td', null, r.reason || '—'))))))
          : h('p', { class: 'muted' }, 'None: every file in the plugin folders loaded.')));
  }).catch((e) => {
    if (!signal.aborted) replace(body, errorBox(e, 'Could not load the strategies'));
  });
  return () => {};
}

function strategyCard(s) {
  const titleId = `strategy-${s.code}`;
  return h('li', { class: 'card strategy-card', dataset: { code: s.code } },
    h('div', { class: 'card__head' },
      h('h2', { class: 'card__title', id: titleId }, s.name || s.code),
      h('span', { class: 'tag', title: 'Plugin version' }, `v${s.version || '?'}`)),
    h('p', { class: 'mono muted small' }, s.code),
    h('p', { class: 'description' }, s.description || 'No description.'),
    h('dl', { class: 'facts facts--inline small' },
      h('div', null, h('dt', null, 'Stages'), h('dd', null, (s.stages || []).join(' → ') || '—')),
      h('div', null, h('dt', null, 'Parameters'), h('dd', null, String((s.parameters || []).length))),
      h('div', null, h('dt', null, 'ABI'), h('dd', null, s.abi || '—')),
      h('div', null, h('dt', null, 'File'), h('dd', { class: 'mono break', title: `${s.file || ''}${s.sha256 ? `\nSHA-256 ${s.sha256}` : ''}` }, s.file ? s.file.split('/').pop() : '—'))),
    h('div', { class: 'card__actions' },
      h('a', { class: 'button button--primary', href: `#/strategies/${encodeURIComponent(s.code)}`, 'aria-describedby': titleId }, 'Run…'),
      h('a', { class: 'button', href: `#/history?strategy=${encodeURIComponent(s.code)}`, 'aria-describedby': titleId }, 'Past runs')));
}

// ---------------------------------------------------------------------------------------
// The run form.

const PRIORITIES = ['low', 'normal', 'high'];

export function mountStrategyForm(container, { parts, signal }) {
  const code = parts[1];
  // Named "Run X" only once the server has said X exists.
  pageTitle(`Strategy ${code}`);
  const heading = h('h1', { tabindex: '-1' }, `Strategy ${code}`);
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading the parameter schema…'));
  replace(container,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/strategies' }, 'Strategies'), ' / ', h('span', null, code)),
    h('div', { class: 'page-head' }, heading),
    body);

  api.strategy(code, { signal }).then((s) => {
    if (signal.aborted) return;
    heading.textContent = `Run ${s.name || s.code}`;
    pageTitle(`Run ${s.name || s.code}`);
    replace(body,
      h('p', { class: 'lede' }, s.description || ''),
      h('p', { class: 'muted small' }, `${s.code} · version ${s.version || '?'} · stages ${(s.stages || []).join(' → ') || '—'}`),
      runForm(s),
      recentRuns(s.code, signal));
  }).catch((e) => {
    if (signal.aborted) return;
    if (e.status === 404) {
      heading.textContent = 'Unknown strategy';
      pageTitle(`Unknown strategy ${code}`);
    }
    replace(body, errorBox(e, e.status === 404 ? `There is no strategy “${code}”` : 'Could not load the strategy'),
      h('p', null, h('a', { href: '#/strategies' }, 'Back to the strategies')));
  });
  return () => {};
}

function fieldId(name) { return `param-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`; }

function rangeText(p) {
  const parts = [];
  if (p.minimum !== undefined && p.minimum !== null && p.maximum !== undefined && p.maximum !== null) parts.push(`${p.minimum} to ${p.maximum}`);
  else if (p.minimum !== undefined && p.minimum !== null) parts.push(`at least ${p.minimum}`);
  else if (p.maximum !== undefined && p.maximum !== null) parts.push(`at most ${p.maximum}`);
  if (p.default !== undefined && p.default !== null && !(Array.isArray(p.default) && !p.default.length)) {
    parts.push(`default ${Array.isArray(p.default) ? p.default.join(', ') : p.default}`);
  }
  if (p.required) parts.push('required');
  return parts.join(' · ');
}

function storedParams(code) {
  try { return JSON.parse(localStorage.getItem(`stratrun.params.${code}`)) || null; } catch { return null; }
}

function storeParams(code, params) {
  try { localStorage.setItem(`stratrun.params.${code}`, JSON.stringify(params)); } catch { /* private mode */ }
}

/** One form control for a parameter; returns {row, get(), set(value), focus(), input}. */
function paramControl(p) {
  const id = fieldId(p.name);
  const hintId = `${id}-hint`;
  const errId = `${id}-error`;
  const describedBy = `${hintId} ${errId}`;
  const error = h('p', { class: 'field-error', id: errId, hidden: true, dataset: { errorFor: p.name } });
  const hint = h('p', { class: 'hint', id: hintId },
    p.description || '',
    rangeText(p) ? h('span', { class: 'hint__range' }, ` (${rangeText(p)})`) : null);
  let input;
  let get;
  let set;
  const common = { id, name: p.name, 'aria-describedby': describedBy };

  switch (p.type) {
    case 'boolean': {
      input = h('input', { ...common, type: 'checkbox' });
      get = () => input.checked;
      set = (v) => { input.checked = Boolean(v); };
      break;
    }
    case 'enum': {
      input = h('select', common, (p.values || []).map((v) => h('option', { value: String(v) }, String(v))));
      get = () => input.value;
      set = (v) => { if (v !== undefined && v !== null) input.value = String(v); };
      break;
    }
    case 'integer':
    case 'number': {
      input = h('input', {
        ...common,
        type: 'number',
        inputmode: p.type === 'integer' ? 'numeric' : 'decimal',
        step: p.type === 'integer' ? '1' : 'any',
        min: p.minimum ?? null,
        max: p.maximum ?? null,
      });
      get = () => {
        const raw = input.value.trim();
        if (raw === '') return undefined;
        return Number(raw);
      };
      set = (v) => { input.value = v === undefined || v === null ? '' : String(v); };
      break;
    }
    case 'string_list': {
      const isTickers = p.name === 'tickers';
      input = h('input', {
        ...common,
        type: 'text',
        autocomplete: 'off',
        spellcheck: 'false',
        placeholder: isTickers ? 'AAPL, MSFT … (empty: the universe)' : 'comma-separated',
        class: isTickers ? 'uppercase' : null,
      });
      get = () => input.value.split(/[\s,;]+/).map((t) => t.trim()).filter(Boolean).map((t) => (isTickers ? t.toUpperCase() : t));
      set = (v) => { input.value = Array.isArray(v) ? v.join(', ') : (v || ''); };
      break;
    }
    default: {
      input = h('input', { ...common, type: 'text', autocomplete: 'off' });
      get = () => input.value;
      set = (v) => { input.value = v === undefined || v === null ? '' : String(v); };
    }
  }
  if (p.required) input.setAttribute('aria-required', 'true');

  const label = h('label', { for: id, class: 'field__label' }, h('span', { class: 'mono' }, p.name));
  const row = p.type === 'boolean'
    ? h('div', { class: 'field field--check', dataset: { field: p.name } },
      h('div', { class: 'check' }, input, label), hint, error)
    : h('div', { class: 'field', dataset: { field: p.name } }, label, input, hint, error);

  const showError = (message) => {
    error.textContent = message;
    error.hidden = !message;
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    row.classList.toggle('field--invalid', Boolean(message));
  };
  input.addEventListener('input', () => showError(''));
  input.addEventListener('change', () => showError(''));
  return { param: p, row, input, get, set, showError, focus: () => input.focus() };
}

/** Client-side checks the browser cannot make for us; ranges are the server's (422). */
function localError(p, value) {
  if (value === undefined) return p.required ? 'this parameter is required' : '';
  if (p.type === 'integer' && !Number.isInteger(value)) return 'must be a whole number';
  if (p.type === 'number' && !Number.isFinite(value)) return 'must be a number';
  return '';
}

function runForm(s) {
  const params = s.parameters || [];
  const controls = params.map(paramControl);
  const byName = new Map(controls.map((c) => [c.param.name, c]));
  const stored = storedParams(s.code);

  const applyDefaults = () => {
    for (const c of controls) c.set(c.param.default);
  };
  applyDefaults();
  if (stored) for (const c of controls) if (Object.hasOwn(stored, c.param.name)) c.set(stored[c.param.name]);

  const priority = h('select', { id: 'opt-priority', name: 'priority' },
    PRIORITIES.map((p) => h('option', { value: p, selected: p === 'normal' }, p)));
  const priorityError = h('p', { class: 'field-error', id: 'opt-priority-error', hidden: true });
  const maxTime = h('input', { id: 'opt-max-time', name: 'max_execution_time', type: 'number', min: '1', step: '1', inputmode: 'numeric', placeholder: '1800', 'aria-describedby': 'opt-max-time-hint opt-max-time-error' });
  const maxTimeError = h('p', { class: 'field-error', id: 'opt-max-time-error', hidden: true });
  const optionErrors = {
    priority: (m) => { priorityError.textContent = m; priorityError.hidden = !m; },
    max_execution_time: (m) => { maxTimeError.textContent = m; maxTimeError.hidden = !m; if (m) maxTime.setAttribute('aria-invalid', 'true'); else maxTime.removeAttribute('aria-invalid'); },
  };
  maxTime.addEventListener('input', () => optionErrors.max_execution_time(''));

  const formError = h('div', { class: 'notice notice--error', role: 'alert', id: 'form-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button button--primary', id: 'start-run' }, 'Start run');
  const reset = h('button', {
    type: 'button',
    class: 'button',
    onclick: () => {
      applyDefaults();
      for (const c of controls) c.showError('');
      formError.hidden = true;
      announce('Parameters reset to their defaults');
    },
  }, 'Reset to defaults');

  const form = h('form', { class: 'run-form card', id: 'run-form', novalidate: true, 'aria-label': `Run ${s.name || s.code}` },
    h('fieldset', { class: 'fieldset' },
      h('legend', null, 'Parameters'),
      controls.length ? h('div', { class: 'fields' }, controls.map((c) => c.row)) : h('p', { class: 'muted' }, 'This strategy takes no parameters.')),
    h('fieldset', { class: 'fieldset' },
      h('legend', null, 'Run options'),
      h('div', { class: 'fields' },
        h('div', { class: 'field', dataset: { field: 'priority' } },
          h('label', { for: 'opt-priority', class: 'field__label' }, 'Priority'), priority,
          h('p', { class: 'hint' }, 'High runs start before normal and low ones.'), priorityError),
        h('div', { class: 'field', dataset: { field: 'max_execution_time' } },
          h('label', { for: 'opt-max-time', class: 'field__label' }, 'Time limit (seconds)'), maxTime,
          h('p', { class: 'hint', id: 'opt-max-time-hint' }, 'Empty uses the server default (1800 s).'), maxTimeError))),
    formError,
    h('div', { class: 'form-actions' }, submit, reset));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError.hidden = true;
    const parameters = {};
    let firstInvalid = null;
    for (const c of controls) {
      const value = c.get();
      const problem = localError(c.param, value);
      c.showError(problem);
      if (problem && !firstInvalid) firstInvalid = c;
      if (value !== undefined) parameters[c.param.name] = value;
    }
    optionErrors.priority('');
    optionErrors.max_execution_time('');
    if (firstInvalid) { firstInvalid.focus(); return; }

    const options = { priority: priority.value };
    if (maxTime.value.trim() !== '') options.max_execution_time = Number(maxTime.value);

    submit.disabled = true;
    submit.textContent = 'Starting…';
    try {
      const accepted = await api.execute({ strategy_code: s.code, parameters, options });
      storeParams(s.code, parameters);
      try {
        sessionStorage.setItem(`stratrun.accepted.${accepted.run_id}`, JSON.stringify(accepted));
      } catch { /* ignore */ }
      announce(`Run started, ${accepted.status || 'queued'}`);
      location.hash = `#/runs/${encodeURIComponent(accepted.run_id)}`;
    } catch (err) {
      submit.disabled = false;
      submit.textContent = 'Start run';
      const field = err.field ? String(err.field).replace(/^(parameters|options)\./, '') : null;
      const control = field ? byName.get(field) : null;
      if (control) {
        control.showError(err.message);
        control.focus();
      } else if (field && optionErrors[field]) {
        optionErrors[field](err.message);
      } else {
        let message = err.message;
        if (err.status === 503) {
          message = `The queue is full${err.retryAfter ? `; try again in ${err.retryAfter} s` : ''}. (${err.message})`;
        }
        formError.textContent = message;
        formError.hidden = false;
      }
    }
  });
  return form;
}

function recentRuns(code, signal) {
  const section = h('section', { class: 'section', 'aria-labelledby': 'recent-h' },
    h('h2', { id: 'recent-h' }, 'Recent runs of this strategy'),
    h('p', { class: 'loading' }, 'Loading…'));
  api.runs({ strategy_code: code, limit: 5 }, { signal }).then((data) => {
    if (signal.aborted) return;
    const runs = (data && data.runs) || [];
    section.lastChild.remove();
    if (!runs.length) {
      section.append(h('p', { class: 'muted' }, 'No runs yet.'));
      return;
    }
    section.append(h('ul', { class: 'plain-list' }, runs.map((r) => h('li', null,
      h('a', { href: `#/runs/${encodeURIComponent(r.run_id)}`, class: 'mono' }, shortId(r.run_id)), ' ',
      statusBadge(r.status), ' ', timeEl(r.created_at),
      h('span', { class: 'muted' }, ` · ${fmtInt(r.passed_count)} passed of ${fmtInt(r.result_count)} · ${fmtDuration(r.duration_seconds)}`)))),
    h('p', null, h('a', { href: `#/history?strategy=${encodeURIComponent(code)}` }, 'All runs of this strategy')));
  }).catch(() => {
    if (!signal.aborted) section.lastChild.replaceWith(h('p', { class: 'muted' }, 'The run history is not available.'));
  });
  return section;
}
