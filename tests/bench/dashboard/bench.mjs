// Driven by tests/bench/dashboard/run (which see).
import fs from 'node:fs';
import path from 'node:path';
import { launch, args } from '../../browser/chromium.mjs';

const opt = args(process.argv.slice(2));
const rss = () => Number(fs.readFileSync(`/proc/${opt.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)[1]) / 1024;
const rows = Number(opt.pipelines);

async function openFleet(dir) {
  const context = await launch(dir);
  const page = context.pages()[0] || await context.newPage();
  const started = Date.now();
  await page.goto(`${opt.url}/ui/`);
  await page.waitForFunction((n) => document.getElementById('shown')?.textContent.startsWith(`${n} of`), rows, { timeout: 60000 });
  const shown = Date.now() - started;
  const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime);
  const inPage = await page.$$eval('#fleet .row', (r) => r.length);
  return { context, page, shown, paint, inPage };
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const paints = [], shown = [];
  for (let i = 0; i < 3; i++) {
    const r = await openFleet(path.join(opt.work, `paint-${i}`));
    paints.push(r.paint);
    shown.push(r.shown);
    console.log(`fleet view, ${rows} pipelines: first contentful paint ${r.paint.toFixed(0)} ms, rows shown after ${r.shown} ms (${r.inPage} rows in the page)`);
    await r.context.close();
  }
  console.log(`median: first paint ${median(paints).toFixed(0)} ms, rows shown ${median(shown)} ms`);

  const before = rss();
  const open = [];
  for (let i = 0; i < Number(opt.browsers); i++) open.push(await openFleet(path.join(opt.work, `browser-${i}`)));
  const firstRev = () => open[0].page.evaluate(() => document.querySelector('#fleet .row .rev code, #fleet .row .rev a')?.textContent);
  const initial = await firstRev();
  let peak = rss();
  for (let t = 0; t < 40; t++) {
    await new Promise((r) => setTimeout(r, 1000));
    peak = Math.max(peak, rss());
  }
  console.log(`daemon RSS: ${before.toFixed(1)} MiB before, peak ${peak.toFixed(1)} MiB with ${open.length} browsers open ` +
    `(+${(peak - before).toFixed(1)} MiB)`);
  const live = await Promise.all(open.map((b) => b.page.evaluate(() => document.getElementById('live').textContent)));
  const changed = await Promise.all(open.map((b) => b.page.evaluate(() => document.querySelector('#fleet .row .rev code, #fleet .row .rev a')?.textContent)));
  console.log(`streams live: ${live.filter((l) => l === 'live').length} of ${open.length}; first row's revision ${initial} when opened, ` +
    `now (live, every browser): ${[...new Set(changed)].join(' | ')}`);
  for (const b of open) await b.context.close();
}

main().then(() => process.exit(0), (e) => { console.error(e.stack || String(e)); process.exit(1); });
