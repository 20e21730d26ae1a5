// The dashboard's actions against a daemon that has an API token; driven by
// tests/e2e/dashboard (which see). Exits non-zero at the first failed check.
//   node actions.mjs --url http://127.0.0.1:PORT --out SCREENSHOTS --token TOKEN --work DIR
import path from 'node:path';
import { launch, args, check } from './chromium.mjs';

const opt = args(process.argv.slice(2));

async function act(page, button, token) {
  await page.evaluate(() => { document.getElementById('action-result').textContent = ''; });
  await page.click(`#actions button:text-is("${button}")`);
  if (token !== undefined) {
    await page.waitForSelector('#token-dialog[open]');
    await page.fill('#token', token);
    await page.click('#token-dialog button[value="ok"]');
  }
  await page.waitForFunction((b) => document.getElementById('action-result').textContent.startsWith(b.toLowerCase()), button);
  return page.textContent('#action-result');
}

async function main() {
  const context = await launch(path.join(opt.work, 'actions'));
  const page = context.pages()[0] || await context.newPage();
  await page.goto(`${opt.url}/ui/#/pipeline/east`);
  await page.waitForSelector('#pipeline-view:not([hidden]) #summary dd');
  const buttons = await page.$$eval('#actions button', (b) => b.map((x) => x.textContent));
  check(buttons.join(',') === 'Reconcile,Suspend,Resume', `with a token the actions are offered (${buttons})`);

  const wrong = await act(page, 'Suspend', 'not-the-token');
  check(wrong.includes('Authorization'), `a wrong token is refused: ${wrong}`);
  const done = await act(page, 'Suspend', opt.token);
  check(done.includes('accepted'), `suspend with the token: ${done}`);
  await page.waitForSelector('#summary .state.suspended', { timeout: 30000 });
  check(true, 'the pipeline shows as suspended, live');
  await page.screenshot({ path: path.join(opt.out, 'actions.png') });
  const resumed = await act(page, 'Resume');
  check(resumed.includes('accepted'), `resume, the token kept in the tab: ${resumed}`);
  await page.waitForSelector('#summary .state.ready', { timeout: 30000 });
  check(true, 'the pipeline is ready again');
  await context.close();
}

main().then(() => { console.log('actions: all checks passed'); process.exit(0); },
  (e) => { console.error(e.stack || String(e)); process.exit(1); });
