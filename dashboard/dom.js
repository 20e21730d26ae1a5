// Builds elements from text only (never HTML), so nothing from a pipeline can inject markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'style') Object.assign(el.style, value);  // CSSOM: allowed by the page's CSP, unlike style=
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function ago(iso) {
  if (!iso) return 'never';
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86400)}d ago`;
}

export function duration(ms) {
  if (ms === undefined || ms === null) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

// "main@sha1:0123abcd..." or a bare id -> its first 12 characters after the last ':'.
export function shortRevision(revision) {
  if (!revision) return '';
  const id = revision.slice(revision.lastIndexOf(':') + 1);
  return id.length > 12 ? id.slice(0, 12) : id;
}

// The revision: commit (linked when the source is on a known forge), author and message.
export function revisionCell(p) {
  const info = p.revisionInfo || {};
  const label = shortRevision(info.commit || p.revision) || '—';
  const id = info.link ? h('a', { href: info.link, rel: 'noreferrer', target: '_blank' }, label) : h('code', {}, label);
  const who = info.author ? info.author.replace(/\s*<.*>$/, '') : '';
  return [id, ' ', h('small', {}, [who, info.message].filter(Boolean).join(': '))];
}

export function stateBadge(state, activity) {
  return h('span', {}, h('span', { class: `state ${state}` }, state), activity ? h('small', { class: 'activity' }, ` · ${activity}`) : null);
}

// "key=value, ..." of a pipeline's labels.
export function labelText(labels) {
  return Object.entries(labels || {}).map(([k, v]) => `${k}=${v}`).join(', ');
}
