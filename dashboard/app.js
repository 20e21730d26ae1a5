// The dashboard (docs/dashboard.md): routes between the fleet and a pipeline,
// and keeps both current with the daemon's Server-Sent Events.
import * as api from './api.js';
import { Fleet } from './fleet.js';
import { PipelineView } from './pipeline.js';

const live = document.getElementById('live');
const fleetView = document.getElementById('fleet-view');
const pipelineView = document.getElementById('pipeline-view');

function route(fleet, detail) {
  const match = location.hash.match(/^#\/pipeline\/(.+)$/);
  fleetView.hidden = Boolean(match);
  pipelineView.hidden = !match;
  if (match) return detail.show(decodeURIComponent(match[1]));
  detail.name = null;
  document.title = 'driftless';
  fleet.paint(true);
  return undefined;
}

function connect(fleet, detail) {
  const events = new EventSource('/api/v1/events');
  const parse = (handler) => (e) => handler(JSON.parse(e.data));
  // First message of every (re)connection: reload, since events may have been missed.
  events.addEventListener('hello', () => {
    live.textContent = 'live';
    live.className = 'live on';
    fleet.load();
    detail.reload();
  });
  events.addEventListener('pipeline', parse((p) => { fleet.update(p); detail.update(p); }));
  events.addEventListener('removed', parse(({ name }) => fleet.remove(name)));
  events.addEventListener('counts', parse((counts) => fleet.showCounts(counts)));
  events.addEventListener('drift', parse((d) => detail.update({ name: d.pipeline })));
  events.addEventListener('error', () => {
    live.textContent = 'reconnecting…';
    live.className = 'live off';
  });
}

async function main() {
  const fleet = new Fleet();
  const [settings] = await Promise.all([api.settings(), fleet.load()]);
  const detail = new PipelineView(settings);
  window.addEventListener('hashchange', () => route(fleet, detail));
  await route(fleet, detail);
  connect(fleet, detail);
  document.body.dataset.ready = 'true';
}

main().catch((e) => { live.textContent = `error: ${e.message}`; });
