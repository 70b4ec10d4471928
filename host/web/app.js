// The dashboard's entry point: hash routing, the nav, the queue badge; starts the live
// streams, the server status and the page-wide notices (notices.js).
//
// Each view is `mount(container, ctx)` and returns a cleanup function (close streams,
// stop timers). ctx = {parts, query, signal}; `signal` aborts when the view is left, so a
// slow fetch never renders into the next view.

import { runHub } from './live.js';
import { serverStatus } from './server_status.js';
import { startNotices } from './notices.js';
import { h, parseHash, replace, pageTitle } from './util.js';
import { mountStrategies, mountStrategyForm } from './views/strategies.js';
import { mountRun } from './views/run.js';
import { mountQueue } from './views/queue.js';
import { mountHistory } from './views/history.js';
import { mountCompare } from './views/compare.js';

const main = document.getElementById('main');
let current = null; // {cleanup, controller, key}
let firstRender = true;

function routeFor(parts) {
  const [head, id] = parts;
  switch (head) {
    case undefined:
    case 'strategies':
      return id ? { nav: 'strategies', key: `strategies/${id}`, mount: mountStrategyForm } : { nav: 'strategies', key: 'strategies', mount: mountStrategies };
    case 'runs':
      return id ? { nav: null, key: `runs/${id}`, mount: mountRun } : { nav: 'history', key: 'history', mount: mountHistory, redirect: '#/history' };
    case 'queue':
      return { nav: 'queue', key: 'queue', mount: mountQueue };
    case 'history':
      return { nav: 'history', key: 'history', mount: mountHistory };
    case 'compare':
      return { nav: 'compare', key: 'compare', mount: mountCompare };
    default:
      return { nav: null, key: 'notfound', mount: mountNotFound };
  }
}

function mountNotFound(container) {
  pageTitle('Not found');
  replace(container,
    h('h1', { tabindex: '-1' }, 'Page not found'),
    h('p', null, 'There is no such page. ', h('a', { href: '#/strategies' }, 'Go to the strategies'), '.'));
  return () => {};
}

function render() {
  if (!location.hash || location.hash === '#' || location.hash === '#/') {
    history.replaceState(null, '', '#/strategies');
  }
  const { parts, query } = parseHash(location.hash);
  const route = routeFor(parts);
  if (route.redirect) {
    history.replaceState(null, '', route.redirect);
  }

  if (current) {
    current.controller.abort();
    try { current.cleanup && current.cleanup(); } catch (e) { console.warn('view cleanup failed', e); }
  }
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === route.nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }

  const controller = new AbortController();
  const container = h('div', { class: 'view', dataset: { view: route.key.split('/')[0] } });
  main.replaceChildren(container);
  let cleanup = null;
  try {
    cleanup = route.mount(container, { parts, query, signal: controller.signal });
  } catch (e) {
    console.warn(e);
  }
  current = { cleanup, controller, key: route.key };

  // Move focus to the new view's heading so keyboard and screen-reader users land there.
  if (!firstRender) {
    requestAnimationFrame(() => {
      const heading = main.querySelector('h1');
      if (heading) {
        if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
        heading.focus({ preventScroll: false });
      } else {
        main.focus();
      }
    });
  }
  firstRender = false;
}

function updateBadge() {
  const badge = document.getElementById('queue-badge');
  const active = runHub.activeRuns().length;
  badge.hidden = active === 0;
  badge.textContent = active ? String(active) : '';
  badge.setAttribute('aria-label', `${active} active run${active === 1 ? '' : 's'}`);
}

window.addEventListener('hashchange', render);
runHub.subscribe(updateBadge);
startNotices();
runHub.start();
serverStatus.start();
render();
