// The page-wide notices every route shows, drawn from serverStatus: the synthetic-data
// banner and header badge, the shutdown warning, the lost-contact banner and the footer's
// server line. Nothing here says "ok" unless the server's last word was an answer.

import { serverStatus } from './server_status.js';
import { setText } from './util.js';

function fmtGrace(seconds) {
  return Number.isFinite(seconds) ? `${seconds} s` : 'a short grace period';
}

function render(s) {
  const dataBanner = document.getElementById('data-banner');
  const dataBadge = document.getElementById('data-badge');
  const shutdown = document.getElementById('shutdown-banner');
  const contact = document.getElementById('banner');
  const footer = document.getElementById('server-info');

  // Absent field = unknown = no banner.
  const synthetic = s.synthetic === true;
  dataBanner.hidden = !synthetic;
  dataBadge.hidden = !synthetic;
  if (synthetic) {
    setText(dataBanner, 'Sample data — SYNTHETIC prices, not real market data. Results show how the strategies work, not how any real stock did.');
    dataBanner.title = s.dataDir ? `data folder: ${s.dataDir}` : '';
  }

  const lost = s.contact === 'lost';
  shutdown.hidden = lost || !s.shutdown;
  if (s.shutdown) {
    setText(shutdown, `The server is shutting down — running runs get ${fmtGrace(s.shutdown.graceSeconds)} to finish; queued runs wait for the next start.`);
  }

  contact.hidden = !lost;
  if (lost) setText(contact, 'Lost contact with the stratrun server; retrying… Nothing on this page is live until it answers again.');

  const version = s.version ? ` ${s.version}` : '';
  const server = lost ? 'server unreachable'
    : s.contact === 'unknown' ? 'connecting…'
      : s.shutdown ? 'server shutting down'
        : `server ${s.status || 'ok'}`;
  const data = s.synthetic === true ? ' · synthetic sample data' : s.synthetic === false ? ' · market data' : '';
  setText(footer, `stratrun${version} · ${server}${data}`);
  footer.dataset.contact = s.contact;
  document.body.dataset.contact = s.contact;
}

/** Draws the notices now and on every change of the server status. */
export function startNotices() {
  render(serverStatus.state);
  serverStatus.subscribe(render);
}
