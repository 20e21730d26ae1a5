// The fleet view: every pipeline in a virtualised list (only the rows in view
// exist in the page), filtered by the daemon, kept current by live events.
import * as api from './api.js';
import { h, ago, duration, labelText, revisionCell, stateBadge } from './dom.js';

const STATES = ['ready', 'failed', 'pending', 'waiting', 'suspended', 'standby', 'removing', 'removed'];

export class Fleet {
  constructor() {
    this.rows = [];
    this.filter = { name: '', state: '', cluster: '', label: '' };
    this.clusters = new Set();
    this.box = document.getElementById('fleet');
    this.spacer = document.getElementById('fleet-spacer');
    this.stateSelect = document.getElementById('filter-state');
    this.box.addEventListener('scroll', () => this.paint());
    window.addEventListener('resize', () => this.paint());
    for (const key of ['name', 'cluster', 'label']) {
      const input = document.getElementById(`filter-${key}`);
      let timer;
      input.addEventListener('input', () => {
        clearTimeout(timer);
        timer = setTimeout(() => this.setFilter({ [key]: input.value.trim() }), 150);
      });
    }
    this.stateSelect.addEventListener('change', () => this.setFilter({ state: this.stateSelect.value }));
    document.getElementById('filters').addEventListener('submit', (e) => e.preventDefault());
  }

  setFilter(change) {
    Object.assign(this.filter, change);
    this.stateSelect.value = this.filter.state;
    return this.load();
  }

  async load() {
    const data = await api.fleet(this.filter);
    this.rows = data.pipelines;
    this.total = data.total;
    this.offerClusters(this.rows);
    this.showCounts(data.counts);
    this.paint(true);
  }

  // As the daemon filters (FleetQuery): for live updates of the rows shown.
  matches(p) {
    const f = this.filter;
    const eq = f.label.indexOf('=');
    const key = eq < 0 ? f.label : f.label.slice(0, eq);
    const labels = p.labels || {};
    return (!f.state || p.state === f.state) && (!f.cluster || p.cluster === f.cluster) &&
      (!f.label || (Object.hasOwn(labels, key) && (eq < 0 || labels[key] === f.label.slice(eq + 1)))) &&
      (!f.name || p.name.toLowerCase().includes(f.name.toLowerCase()));
  }

  // The clusters seen so far, offered as the cluster filter's choices.
  offerClusters(rows) {
    const before = this.clusters.size;
    for (const p of rows) if (p.cluster) this.clusters.add(p.cluster);
    if (this.clusters.size === before) return;
    document.getElementById('clusters').replaceChildren(...[...this.clusters].sort().map((c) => h('option', { value: c })));
  }

  // A pipeline's new status (live): replaced, added or dropped as the filter says.
  update(p) {
    this.offerClusters([p]);
    const at = this.rows.findIndex((r) => r.name === p.name);
    if (at >= 0 && this.matches(p)) this.rows[at] = p;
    else if (at >= 0) this.rows.splice(at, 1);
    else if (this.matches(p)) {
      const before = this.rows.findIndex((r) => r.name > p.name);
      this.rows.splice(before < 0 ? this.rows.length : before, 0, p);
    } else return;
    this.repaintSoon();
  }

  remove(name) {
    const at = this.rows.findIndex((r) => r.name === name);
    if (at >= 0) { this.rows.splice(at, 1); this.repaintSoon(); }
  }

  // Live events come in bursts (a commit touching every folder): one repaint per frame.
  repaintSoon() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => { this.pending = 0; this.paint(true); });
  }

  showCounts(counts) {
    this.counts = counts;
    const box = document.getElementById('counts');
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const button = (state, label, n) => h('button', {
      type: 'button', 'aria-pressed': String(this.filter.state === state), 'data-state': state || 'all',
      onclick: () => this.setFilter({ state: this.filter.state === state ? '' : state }),
    }, `${label} ${n}`);
    const known = STATES.filter((s) => counts[s]).concat(Object.keys(counts).filter((s) => !STATES.includes(s)));
    box.replaceChildren(button('', 'all', total), ...known.map((s) => button(s, s, counts[s])));
  }

  rowHeight() {
    return parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--row')) || 64;
  }

  // Renders only the rows in view (and a few around them).
  paint(changed) {
    const height = this.rowHeight();
    this.spacer.style.height = `${this.rows.length * height}px`;
    const first = Math.max(0, Math.floor(this.box.scrollTop / height) - 5);
    const last = Math.min(this.rows.length, Math.ceil((this.box.scrollTop + this.box.clientHeight) / height) + 5);
    if (!changed && first === this.first && last === this.last) return;
    this.first = first;
    this.last = last;
    const rows = [];
    for (let i = first; i < last; i++) rows.push(this.row(this.rows[i], i, height));
    // Rows are rebuilt on every change: keyboard focus stays on the same pipeline's link.
    const focused = document.activeElement?.closest?.('#fleet .row')?.dataset.pipeline;
    this.box.replaceChildren(this.spacer, ...rows);
    if (focused) rows.find((r) => r.dataset.pipeline === focused)?.querySelector('a')?.focus({ preventScroll: true });
    const shown = document.getElementById('shown');
    shown.textContent = `${this.rows.length} of ${this.total ?? this.rows.length} shown`;
  }

  row(p, index, height) {
    const errors = p.errors.length ? `${p.errors.length} error${p.errors.length > 1 ? 's' : ''}: ${p.errors[0]}` : '';
    return h('div', {
      class: 'row', role: 'listitem', style: { transform: `translateY(${index * height}px)` },
      'aria-posinset': index + 1, 'aria-setsize': this.rows.length, 'data-pipeline': p.name,
    },
    h('span', { class: 'name', title: labelText(p.labels) },
      h('a', { href: `#/pipeline/${encodeURIComponent(p.name)}` }, p.name),
      p.cluster ? h('small', { class: 'muted' }, p.cluster) : null),
    h('span', {}, stateBadge(p.state, p.activity)),
    h('span', { class: 'rev' }, revisionCell(p)),
    h('span', { class: 'when', title: p.lastAttempt }, ago(p.lastAttempt)),
    h('span', { class: 'duration' }, duration(p.durationMs)),
    h('span', { class: 'objects', title: 'objects' }, `${p.objects} obj`),
    h('span', { class: 'errors', title: errors }, errors));
  }
}
