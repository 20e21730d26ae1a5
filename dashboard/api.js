// The daemon's API (docs/api.md), from the page's own origin.
export async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${(await res.json().catch(() => ({}))).message || ''}`);
  return res.json();
}

export function fleet(filter) {
  const q = new URLSearchParams();
  if (filter.name) q.set('name', filter.name);
  if (filter.state) q.set('state', filter.state);
  if (filter.cluster) q.set('cluster', filter.cluster);
  if (filter.label) q.append('label', filter.label);
  return getJson(`/api/v1/pipelines?${q}`);
}

export const pipeline = (name) => getJson(`/api/v1/pipelines/${encodeURIComponent(name)}`);
export const objects = (name) => getJson(`/api/v1/pipelines/${encodeURIComponent(name)}/objects`);
export const settings = () => getJson('/api/v1/dashboard');

// reconcile, suspend or resume: needs the operator token (the control API's).
export async function act(name, action, token) {
  const res = await fetch(`/api/v1/pipelines/${encodeURIComponent(name)}/${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: '{}',
  });
  const body = await res.json().catch(() => ({}));
  return { ok: res.ok, status: res.status, message: body.message || res.statusText };
}
