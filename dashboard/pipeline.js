// The pipeline view: status, revision, errors, items, drift events healed and
// the last reconciles from the audit log; actions when the daemon has a token.
import * as api from './api.js';
import { h, ago, duration, labelText, revisionCell, shortRevision, stateBadge } from './dom.js';

function table(headers, rows) {
  if (!rows.length) return h('p', { class: 'muted' }, 'none');
  return h('table', {}, h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c))))));
}

export class PipelineView {
  constructor(settings) {
    this.settings = settings;
    this.name = null;
    this.dialog = document.getElementById('token-dialog');
    document.getElementById('compare').addEventListener('click', () => this.compare());
  }

  // The objects as a tree (kind, then namespace), each with what an apply would
  // change and the diff (Secrets' values masked by the sink).
  async compare() {
    const state = document.getElementById('compare-state');
    const box = document.getElementById('objects');
    state.textContent = 'comparing…';
    try {
      const data = await api.objects(this.name);
      const changed = data.objects.filter((o) => o.action !== 'unchanged').length;
      state.textContent = `${data.objects.length} objects at ${shortRevision(data.revision)}, ${changed} would change`;
      const byKind = new Map();
      for (const o of data.objects) {
        if (!byKind.has(o.kind)) byKind.set(o.kind, new Map());
        const ns = byKind.get(o.kind);
        const key = o.namespace || '(cluster)';
        if (!ns.has(key)) ns.set(key, []);
        ns.get(key).push(o);
      }
      const label = (o) => (o.action === 'unchanged' ? 'in sync' : `would be ${o.action}`);
      // Its health in the cluster, in words (when the sink judges health).
      const health = (o) => (o.health ? [', health: ', h('span', { class: `health ${o.health}` }, o.health)] : []);
      const line = (o) => [o.name, ' — ', h('span', { class: `change ${o.action}` }, label(o)), ...health(o)];
      const objectItem = (o) => h('li', { 'data-object': o.id, 'data-action': o.action, 'data-health': o.health },
        o.diff
          ? h('details', {}, h('summary', {}, ...line(o)),
            h('pre', { class: 'diff', tabindex: '0', 'aria-label': `diff of ${o.id}` }, o.diff))
          : line(o));
      box.replaceChildren(...data.errors.map((e) => h('p', { class: 'errors' }, e)), h('ul', { class: 'tree' },
        [...byKind].map(([kind, namespaces]) => h('li', {}, h('details', { open: true },
          h('summary', {}, `${kind} (${[...namespaces.values()].reduce((n, l) => n + l.length, 0)})`),
          h('ul', {}, [...namespaces].map(([ns, list]) => h('li', {}, h('span', { class: 'muted' }, ns),
            h('ul', {}, list.map(objectItem))))))))));
    } catch (e) {
      state.textContent = e.message;
    }
  }

  async show(name) {
    this.name = name;
    document.getElementById('pipeline-title').textContent = name;
    document.title = `${name} — driftless`;
    this.renderActions();
    document.getElementById('action-result').textContent = '';
    document.getElementById('objects').replaceChildren();
    document.getElementById('compare-state').textContent = '';
    await this.reload();
  }

  async reload() {
    if (!this.name) return;
    try {
      const data = await api.pipeline(this.name);
      this.render(data);
    } catch (e) {
      document.getElementById('summary').replaceChildren(h('dt', {}, 'error'), h('dd', {}, e.message));
    }
  }

  // A live status of the pipeline shown: the summary now, runs and drift from the daemon.
  update(p) {
    if (p.name !== this.name) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), 200);
  }

  render({ pipeline: p, runs, drift }) {
    const info = p.revisionInfo || {};
    const entries = [
      ['State', stateBadge(p.state, p.activity)],
      ['Revision', revisionCell(p)],
      ['Full revision', h('code', {}, p.revision || '—')],
      ['Author', info.author || '—'],
      ['Source', p.source],
      ['Cluster', p.cluster || '—'],
      ['Labels', labelText(p.labels) || '—'],
      ['Last reconcile', `${ago(p.lastAttempt)} (${p.lastAttempt || 'never'})`],
      ['Duration', duration(p.durationMs)],
      ['Objects', String(p.objects)],
      ['Next attempt', p.nextAttempt || '—'],
      ['Consecutive failures', String(p.failures)],
    ];
    if (p.message) entries.push(['Note', p.message]);
    if (p.replica) entries.push(['Replica', p.replica]);
    document.getElementById('summary').replaceChildren(...entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    document.getElementById('errors-section').hidden = !p.errors.length;
    document.getElementById('errors').replaceChildren(...p.errors.map((e) => h('li', {}, e)));
    document.getElementById('items').replaceChildren(table(['Item', 'State', 'Detail', 'Error'],
      p.items.map((i) => [i.id, stateBadge(i.state), i.detail, i.error])));
    document.getElementById('drift').replaceChildren(...(drift.length ? drift.slice().reverse().map((d) => h('li', { 'data-healed': String(d.healed) },
      h('time', { datetime: d.time }, d.time), ' ',
      d.healed ? h('span', { class: 'healed' }, 'healed') : h('span', {}, 'reconciled'), ': ', d.reason))
      : [h('li', { class: 'muted' }, 'none since the daemon started')]));
    document.getElementById('runs').replaceChildren(table(['Time', 'Revision', 'Result', 'Created', 'Changed', 'Pruned', 'Duration', 'Errors'],
      runs.slice().reverse().map((r) => [r.time, [h('code', { title: r.revision }, shortRevision(r.revision)), ' ', h('small', {}, r.message || '')],
        h('span', { class: `state ${r.result === 'success' ? 'ready' : 'failed'}` }, r.result),
        String(r.created ?? ''), String(r.changed ?? ''), String(r.pruned ?? ''), duration(r.durationMs), (r.errors || []).join('\n')])));
  }

  renderActions() {
    const box = document.getElementById('actions');
    if (!this.settings.actions) { box.replaceChildren(); return; }
    box.replaceChildren(...['reconcile', 'suspend', 'resume'].map((action) =>
      h('button', { type: 'button', onclick: () => this.act(action) }, action[0].toUpperCase() + action.slice(1))));
  }

  token() {
    const kept = sessionStorage.getItem('driftless-token');
    if (kept) return Promise.resolve(kept);
    return new Promise((resolve) => {
      const input = document.getElementById('token');
      input.value = '';
      this.dialog.addEventListener('close', () => {
        const token = this.dialog.returnValue === 'ok' ? input.value.trim() : '';
        if (token) sessionStorage.setItem('driftless-token', token);
        resolve(token);
      }, { once: true });
      this.dialog.showModal();
    });
  }

  async act(action) {
    const out = document.getElementById('action-result');
    const token = await this.token();
    if (!token) { out.textContent = `${action}: no token given`; return; }
    const result = await api.act(this.name, action, token);
    if (result.status === 401) sessionStorage.removeItem('driftless-token');
    out.textContent = `${action}: ${result.message}`;
    this.reload();
  }
}
