// The dashboard in headless Chromium against a running daemon; driven by
// tests/e2e/dashboard (which see). Exits non-zero at the first failed check.
//   node dashboard.mjs --url http://127.0.0.1:PORT --out SCREENSHOTS --handshake DIR --work DIR
import fs from 'node:fs';
import path from 'node:path';
import { launch, args, check } from './chromium.mjs';

const opt = args(process.argv.slice(2));
const shot = (page, name) => page.screenshot({ path: path.join(opt.out, name), fullPage: false });

// Tells the test what to do next and waits for its answer.
async function step(name) {
  console.log(`STEP ${name}`);
  const file = path.join(opt.handshake, `${name}.done`);
  for (let i = 0; i < 1200 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
  check(fs.existsSync(file), `the test answered step ${name}`);
  return fs.readFileSync(file, 'utf8').trim();
}

const rowsShown = (page) => page.$$eval('#fleet .row', (rows) => rows.map((r) => r.dataset.pipeline));

async function main() {
  const context = await launch(path.join(opt.work, 'desktop'), { colorScheme: 'light' });
  const page = context.pages()[0] || await context.newPage();
  const failedRequests = [];
  page.on('requestfailed', (r) => failedRequests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') console.log(`browser console: ${m.text()}`); });

  // Fleet view: every pipeline, counts per state, a suspended one shown as such.
  await page.goto(`${opt.url}/ui/`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('#live.on', { timeout: 10000 });
  await page.waitForSelector('[data-pipeline="east"] .state.ready');
  check((await rowsShown(page)).join(',') === 'east,west', 'the fleet lists east and west');
  check(await page.textContent('[data-pipeline="west"] .state') === 'suspended', 'west is shown as suspended');
  check(await page.textContent('#counts [data-state="ready"]') === 'ready 1', 'one pipeline ready');
  await shot(page, 'fleet.png');

  // Keyboard: the first Tab reaches the skip link; a row's link opens its pipeline with Enter.
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement?.textContent) === 'Skip to content', 'the first Tab reaches the skip link');
  await page.focus('[data-pipeline="west"] .name a');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#pipeline-view:not([hidden]) #summary dd');
  check(await page.textContent('#pipeline-title') === 'west', 'Enter on a row opens its pipeline');
  await page.goBack();
  await page.waitForSelector('#fleet-view:not([hidden]) [data-pipeline="east"]');

  // Server-side filter, by name and by state (a count is a filter button).
  await page.fill('#filter-name', 'EA');
  await page.waitForFunction(() => document.querySelectorAll('#fleet .row').length === 1);
  check((await rowsShown(page)).join(',') === 'east', 'the name filter leaves east');
  await page.fill('#filter-name', '');
  await page.click('#counts [data-state="suspended"]');
  await page.waitForFunction(() => [...document.querySelectorAll('#fleet .row')].map((r) => r.dataset.pipeline).join() === 'west');
  check(true, 'the state filter leaves west');
  await page.click('#counts [data-state="all"]');
  await page.waitForFunction(() => document.querySelectorAll('#fleet .row').length === 2);

  // By label (team is the folder's name in the config) and by cluster (the kubeconfig's context, shown under the name).
  await page.fill('#filter-label', 'team=west');
  await page.waitForFunction(() => [...document.querySelectorAll('#fleet .row')].map((r) => r.dataset.pipeline).join() === 'west');
  check(true, 'the label filter leaves west');
  await page.fill('#filter-label', 'team');
  await page.waitForFunction(() => document.querySelectorAll('#fleet .row').length === 2);
  await page.fill('#filter-label', '');
  const cluster = await page.textContent('[data-pipeline="west"] .name small');
  check(cluster.length > 0, `each row names its cluster (${cluster})`);
  await page.fill('#filter-cluster', `${cluster}-elsewhere`);
  await page.waitForFunction(() => document.querySelectorAll('#fleet .row').length === 0);
  await page.fill('#filter-cluster', cluster);
  await page.waitForFunction(() => document.querySelectorAll('#fleet .row').length === 2);
  check(true, `the cluster filter keeps the pipelines of ${cluster}`);
  await page.fill('#filter-cluster', '');

  // Live: a push to Git reaches the open page without a reload.
  await page.evaluate(() => { window.stayedOpen = true; });
  const commit = await step('push');
  const short = commit.slice(0, 12);
  await page.waitForFunction((c) => document.querySelector('[data-pipeline="east"] .rev')?.textContent.includes(c),
    short, { timeout: 60000 });
  check(await page.evaluate(() => window.stayedOpen === true), `the new revision ${short} appeared without a reload`);
  check((await page.textContent('[data-pipeline="east"] .rev')).includes('paint it'), 'with its commit message');
  await page.waitForSelector('[data-pipeline="east"] .state.ready');
  await shot(page, 'fleet-live.png');

  // Phone layout, dark theme (the system's).
  const phone = await launch(path.join(opt.work, 'phone'), { viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true, hasTouch: true });
  const small = phone.pages()[0] || await phone.newPage();
  await small.goto(`${opt.url}/ui/`);
  await small.waitForSelector('[data-pipeline="east"] .state.ready');
  const background = await small.evaluate(() => getComputedStyle(document.body).backgroundColor);
  check(background === 'rgb(13, 17, 23)', `the dark theme follows the system (${background})`);
  await shot(small, 'fleet-phone-dark.png');
  await phone.close();

  // Pipeline view: no action buttons without a token; a deleted Deployment healed, live.
  await page.click('[data-pipeline="east"] .name a');
  await page.waitForSelector('#pipeline-view:not([hidden]) #summary dd');
  check(await page.$$eval('#actions button', (b) => b.length) === 0, 'no action buttons without a token');
  await step('delete');
  await page.waitForSelector('#drift li[data-healed="true"] .healed', { timeout: 60000 });
  check((await page.textContent('#drift')).includes('Deployment'), 'the healed drift names the Deployment');
  await shot(page, 'pipeline-healed.png');

  // Diff: west is suspended, so Git's new color is not in the cluster yet.
  await page.goto(`${opt.url}/ui/#/pipeline/west`);
  await page.waitForSelector('#pipeline-view:not([hidden]) #summary dd');
  await page.click('#compare');
  await page.waitForSelector('li[data-action="configured"]', { timeout: 60000 });
  check(await page.$$eval('li[data-object$="/west-settings"]', (l) => l.length) === 1, 'each object once in the tree');
  const configMap = `li[data-object$="/west-settings"][data-action="configured"]`;
  await page.click(`${configMap} summary`);
  const diff = await page.textContent(`${configMap} pre.diff`);
  check(/-\s*color: red/.test(diff) && /\+\s*color: blue/.test(diff), `the diff shows color red -> blue:\n${diff}`);
  check(await page.textContent(`${configMap} .health`) === 'ready', 'the tree says the ConfigMap is ready in the cluster');
  const secret = `li[data-object$="/west-secret"][data-action="configured"]`;
  await page.click(`${secret} summary`);
  const masked = await page.textContent(`${secret} pre.diff`);
  check(masked.includes('*** (changed)') && !masked.includes('Ymx1ZQ') && !masked.includes('cmVk'), `the Secret's values are masked:\n${masked}`);
  await shot(page, 'diff.png');

  // An action without a token is refused by the daemon, even from its own page.
  const refused = await page.evaluate(async () => {
    const res = await fetch('/api/v1/pipelines/west/resume', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    return { status: res.status, message: (await res.json()).message };
  });
  check(refused.status === 403 && refused.message.includes('no token is configured'), `an action without a token is refused (${refused.status} ${refused.message})`);

  check(failedRequests.filter((u) => !u.includes('/api/v1/events')).length === 0, `no request failed (${failedRequests.join(', ')})`);
  await context.close();
}

main().then(() => { console.log('dashboard: all checks passed'); process.exit(0); },
  (e) => { console.error(e.stack || String(e)); process.exit(1); });
