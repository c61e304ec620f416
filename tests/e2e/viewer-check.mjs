// Drives Debian's Chromium (never a downloaded browser) through the viewer page and reports what
// it saw as JSON lines on stdout; the JUnit test (tests/src/test/java/io/sdr/e2e) judges them.
//
//   node viewer-check.mjs CONFIG.json
//
// CONFIG: {"chromium": "/usr/bin/chromium", "outDir": "...", "timeoutMs": 60000,
//          "hostRules": "MAP viewer.test 127.0.0.1",
//          "scenarios": [{"name", "url", "minFrames", "telemetry": {subject: substring},
//                         "notice": kind, "screenshot": file, "edgeRestart": bool, "units": bool}]}
//
// With "units", page-units.js runs in the page (the viewer's pure modules) and its results are reported.
//
// With "edgeRestart", after the first checks the script prints {"event":"edge-restart"} and waits
// for a line on stdin (the test restarts Caddy), then checks that the page reconnected and decodes.
import { readFileSync, mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const deadline = Date.now() + (config.timeoutMs || 60000);
const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

function emit(object) {
  process.stdout.write(`${JSON.stringify(object)}\n`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls fn() until it returns a truthy value or waitMs pass (bounded by the overall deadline). */
async function until(fn, waitMs) {
  const end = Math.min(deadline, Date.now() + waitMs);
  let value;
  do {
    value = await fn();
    if (value) {
      return value;
    }
    await sleep(200);
  } while (Date.now() < end);
  return value;
}

const snapshot = (page) => page.evaluate(() => (window.sdrViewer ? window.sdrViewer.snapshot() : null));

/** Samples a 32x18 grid of the canvas: how much is not black, and how many distinct colours. */
const canvasPixels = (page) => page.evaluate(() => {
  const canvas = document.getElementById('video');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let lit = 0;
  let samples = 0;
  const colours = new Set();
  for (let gy = 0; gy < 18; gy++) {
    for (let gx = 0; gx < 32; gx++) {
      const x = Math.floor(((gx + 0.5) * canvas.width) / 32);
      const y = Math.floor(((gy + 0.5) * canvas.height) / 18);
      const i = (y * canvas.width + x) * 4;
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      samples++;
      if (r + g + b > 48) {
        lit++;
      }
      colours.add(`${r >> 5},${g >> 5},${b >> 5}`);
    }
  }
  return { width: canvas.width, height: canvas.height, samples, litFraction: lit / samples, distinctColours: colours.size };
});

/** The telemetry panel as shown: {subject: value cell text}. */
const telemetryRows = (page) => page.evaluate(() => {
  const out = {};
  for (const row of document.querySelectorAll('#telemetry-rows tr')) {
    out[row.cells[0].textContent] = row.cells[1].textContent;
  }
  return out;
});

const noticeState = (page) => page.evaluate(() => ({
  kinds: (document.body.dataset.notice || '').split(' ').filter(Boolean),
  text: document.getElementById('notice').hidden ? '' : document.getElementById('notice').textContent,
}));

/** The screenshot waits this long after the page loaded, past the join burst's catch-up. */
const SETTLE_MS = 4000;

async function streamScenario(page, scenario, report) {
  const loadedAt = Date.now();
  const minFrames = scenario.minFrames || 10;
  const first = await until(async () => {
    const s = await snapshot(page);
    return s && s.decoded >= minFrames ? s : null;
  }, 30000) || await snapshot(page);
  report.first = first;
  await sleep(1500);
  report.second = await snapshot(page);
  report.pixels = await canvasPixels(page);
  const wanted = scenario.telemetry || {};
  report.telemetry = await until(async () => {
    const rows = await telemetryRows(page);
    return Object.entries(wanted).every(([subject, text]) => (rows[subject] || '').includes(text)) ? rows : null;
  }, 15000) || await telemetryRows(page);
  report.withLatency = await until(async () => {
    const s = await snapshot(page);
    return s && s.latencyToPictureMs !== null && s.latencyToArrivalMs !== null ? s : null;
  }, 10000) || await snapshot(page);
  report.overlay = await page.evaluate(() => document.getElementById('overlay').textContent);
  if (scenario.screenshot) {
    await sleep(Math.max(0, loadedAt + SETTLE_MS - Date.now()));
    report.screenshot = join(config.outDir, scenario.screenshot);
    report.atScreenshot = await snapshot(page);
    await page.screenshot({ path: report.screenshot });
  }
  if (scenario.edgeRestart) {
    const before = await snapshot(page);
    emit({ event: 'edge-restart', scenario: scenario.name });
    await stdinLines.next();
    report.afterRestart = await until(async () => {
      const s = await snapshot(page);
      return s && s.connections >= 2 && s.decoded >= before.decoded + minFrames ? s : null;
    }, 30000) || await snapshot(page);
    report.beforeRestart = before;
  }
}

async function noticeScenario(page, scenario, report) {
  report.notice = await until(async () => {
    const n = await noticeState(page);
    return n.kinds.includes(scenario.notice) ? n : null;
  }, 20000) || await noticeState(page);
  await sleep(500);
  report.snapshot = await snapshot(page);
  report.selector = await page.evaluate(() => ({
    visible: !document.getElementById('stream-picker').hidden,
    options: [...document.getElementById('stream-select').options].map((o) => o.value),
  }));
  if (scenario.screenshot) {
    report.screenshot = join(config.outDir, scenario.screenshot);
    await page.screenshot({ path: report.screenshot });
  }
}

mkdirSync(config.outDir, { recursive: true });
const browser = await chromium.launch({
  executablePath: config.chromium || '/usr/bin/chromium',
  headless: true,
  // As on these machines: no sandbox as root, no GPU, and no background traffic to Google's hosts.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
    ...(config.hostRules ? [`--host-resolver-rules=${config.hostRules}`] : [])],
  timeout: 30000,
});
let failed = false;
try {
  emit({ event: 'browser', version: browser.version() });
  for (const scenario of config.scenarios) {
    const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
    const page = await context.newPage();
    const report = { event: 'scenario', name: scenario.name, url: scenario.url, pageErrors: [], consoleErrors: [] };
    page.on('pageerror', (error) => report.pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') {
        report.consoleErrors.push(message.text());
      }
    });
    try {
      const response = await page.goto(scenario.url, { timeout: 20000 });
      report.status = response ? response.status() : null;
      report.isSecureContext = await page.evaluate(() => window.isSecureContext);
      if (scenario.units) {
        const units = readFileSync(new URL('./page-units.js', import.meta.url), 'utf8');
        report.units = await page.evaluate(`(${units})(${JSON.stringify(page.url())})`);
      } else if (scenario.notice) {
        await noticeScenario(page, scenario, report);
      } else {
        await streamScenario(page, scenario, report);
      }
    } catch (error) {
      report.error = String(error && error.stack || error);
      failed = true;
    }
    emit(report);
    await context.close();
  }
} finally {
  await browser.close();
}
emit({ event: 'done' });
process.exit(failed ? 1 : 0);
