// Drives Debian's Chromium (never a downloaded browser) through the viewer page and reports what
// it saw as JSON lines on stdout; the JUnit test (tests/src/test/java/io/sdr/e2e) judges them.
//
//   node viewer-check.mjs CONFIG.json
//
// CONFIG: {"chromium": "/usr/bin/chromium", "outDir": "...", "timeoutMs": 60000,
//          "hostRules": "MAP viewer.test 127.0.0.1",
//          "scenarios": [{"name", "url", "minFrames", "telemetry": {subject: substring},
//                         "notice": kind, "screenshot": file, "edgeRestart": bool, "units": bool,
//                         "plots": {"subject", "field"}, "switchTo": stream, "switchWidth": px,
//                         "phoneScreenshot": file, "clip": "download" | "refused"}]}
//
// With "clip", once minFrames are decoded the "save 30 s" button is clicked: "download" saves the
// file the browser downloads to outDir (report.clipFile), "refused" waits for the page's notice.
//
// With "units", page-units.js runs in the page (the viewer's pure modules) and its results are reported.
//
// With "plots", the controls are exercised too: the plot of plots.subject/plots.field must fill and
// move, the overlay is checked off the picture and toggled onto it, a keyframe is asked for, full
// screen entered and left, then the stream picker switches to "switchTo" (whose pictures are
// switchWidth wide), and the page is opened again at a phone's width (390 px).
//
// With "tiers" ({"topLabel", "topWidth", "pins": [{"label", "width"}], "throttle": {"kbps", "seconds"}}),
// the stream has quality tiers: the page must start on the top tier, then each pin is chosen in the
// tier picker (the page reconnects with ?tier=) and the picture must change to that tier's width
// with frames still decoded; with "throttle", CDP's Network.emulateNetworkConditions then narrows the
// page's link, and the server must move the (adaptive) page down a tier at a keyframe.
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

/** The telemetry panel as shown: {subject: value text}. */
const telemetryRows = (page) => page.evaluate(() => {
  const out = {};
  for (const card of document.querySelectorAll('#telemetry-list .subject')) {
    out[card.querySelector('.subject-name').textContent] = card.querySelector('.value').textContent;
  }
  return out;
});

/** A plot canvas as drawn: how many pixels are painted, and a cheap fingerprint of them. */
const plotPixels = (page, selector) => page.evaluate((sel) => {
  const canvas = document.querySelector(sel);
  if (!canvas || canvas.width === 0) {
    return null;
  }
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  let hash = 0;
  for (let i = 3; i < data.length; i += 4) {
    if (data[i] > 0) {
      painted++;
      hash = (hash * 31 + (i >> 2)) >>> 0;
    }
  }
  return { width: canvas.width, height: canvas.height, painted, hash };
}, selector);

/** Where the overlay sits relative to the picture (CSS pixels). */
const overlayPlacement = (page) => page.evaluate(() => {
  const c = document.getElementById('video').getBoundingClientRect();
  const o = document.getElementById('overlay').getBoundingClientRect();
  const overlaps = o.left < c.right && o.right > c.left && o.top < c.bottom && o.bottom > c.top;
  // The test pattern's caption (frame number and clock) fills the top-left ~40 % x 10 % of the picture.
  const caption = { left: c.left, top: c.top, right: c.left + c.width * 0.4, bottom: c.top + c.height * 0.1 };
  const coversCaption = o.left < caption.right && o.right > caption.left && o.top < caption.bottom && o.bottom > caption.top;
  return { overlaps, coversCaption, visible: o.width > 0 && o.height > 0 };
});

async function plotsScenario(page, scenario, report) {
  const { subject, field } = scenario.plots;
  const minFrames = scenario.minFrames || 10;
  report.first = await until(async () => {
    const s = await snapshot(page);
    return s && s.decoded >= minFrames ? s : null;
  }, 30000) || await snapshot(page);
  report.plot = await until(async () => {
    const s = await snapshot(page);
    const f = s && s.plots[subject] && s.plots[subject][field];
    return f && f.points >= 20 && f.drawn >= 20 && s.trends.fps.drawn >= 5 ? { field: f, trends: s.trends } : null;
  }, 20000) || { missing: (await snapshot(page)).plots };
  const selector = `#telemetry-list .subject[data-subject="${subject}"] .field[data-field="${field}"] canvas`;
  report.plotPixelsBefore = await plotPixels(page, selector);
  await sleep(1000);
  report.plotPixelsAfter = await plotPixels(page, selector);
  report.fpsPlotPixels = await plotPixels(page, '#fps-plot');
  report.fieldRow = await page.evaluate((sel) => {
    const row = document.querySelector(sel).parentElement;
    return { latest: row.querySelector('.latest').textContent, range: row.querySelector('.range').textContent };
  }, selector);

  report.overlayDefault = { ...(await overlayPlacement(page)), onPicture: (await snapshot(page)).overlayOnPicture };
  await page.click('#overlay-button');
  await sleep(300);
  report.overlayToggled = { ...(await overlayPlacement(page)), onPicture: (await snapshot(page)).overlayOnPicture };
  await page.click('#overlay-button');

  const keyframeBefore = (await snapshot(page)).keyframes;
  report.keyframeButton = { visible: keyframeBefore.buttonVisible, enabled: keyframeBefore.buttonEnabled };
  await page.click('#keyframe-button');
  report.keyframe = await until(async () => {
    const k = (await snapshot(page)).keyframes;
    return k.requested >= 1 && k.lastDelayMs !== null ? k : null;
  }, 10000) || (await snapshot(page)).keyframes;

  await page.click('#fullscreen-button');
  report.fullscreen = await until(async () => ((await snapshot(page)).fullscreen ? { entered: true } : null), 5000) || { entered: false };
  if (report.fullscreen.entered) {
    report.fullscreen.canvas = await page.evaluate(() => {
      const r = document.getElementById('video').getBoundingClientRect();
      return { width: r.width, height: r.height, screenWidth: window.innerWidth, screenHeight: window.innerHeight };
    });
    await page.dblclick('#video'); // the header (and its button) is outside the full-screen element
    report.fullscreen.left = await until(async () => (!(await snapshot(page)).fullscreen ? true : null), 5000) || false;
  }

  if (scenario.screenshot) {
    await sleep(1500); // past the exit from full screen: a steady layout
    report.screenshot = join(config.outDir, scenario.screenshot);
    report.atScreenshot = await snapshot(page);
    await page.screenshot({ path: report.screenshot });
  }

  if (scenario.switchTo) {
    report.selector = await page.evaluate(() => ({
      visible: !document.getElementById('stream-picker').hidden,
      options: [...document.getElementById('stream-select').options].map((o) => o.value),
    }));
    const before = await snapshot(page);
    await page.selectOption('#stream-select', scenario.switchTo);
    report.switched = await until(async () => {
      const s = await snapshot(page);
      return s.stream === scenario.switchTo && s.width === scenario.switchWidth && s.decoded >= before.decoded + minFrames ? s : null;
    }, 30000) || await snapshot(page);
    report.switchedUrl = page.url();
    report.beforeSwitch = before;
  }
}

async function phoneScenario(browser, scenario, report) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.on('pageerror', (error) => report.pageErrors.push(`phone: ${error}`));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      report.consoleErrors.push(`phone: ${message.text()}`);
    }
  });
  try {
    await page.goto(scenario.url, { timeout: 20000 });
    const { subject, field } = scenario.plots;
    report.phone = await until(async () => {
      const s = await snapshot(page);
      const f = s && s.plots[subject] && s.plots[subject][field];
      return s && s.decoded >= 5 && f && f.drawn >= 10 ? { decoded: s.decoded, points: f.drawn } : null;
    }, 30000) || { snapshot: await snapshot(page) };
    Object.assign(report.phone, await page.evaluate(() => {
      const widest = Math.max(...[...document.querySelectorAll('body *')].map((e) => e.getBoundingClientRect().right));
      return {
        innerWidth: window.innerWidth,
        scrollWidth: document.documentElement.scrollWidth,
        widestRight: Math.round(widest),
        canvasWidth: document.getElementById('video').getBoundingClientRect().width,
        controlsVisible: ['keyframe-button', 'overlay-button', 'fullscreen-button']
          .filter((id) => document.getElementById(id).getBoundingClientRect().width > 0),
      };
    }));
    await sleep(1000);
    report.phoneScreenshot = join(config.outDir, scenario.phoneScreenshot);
    await page.screenshot({ path: report.phoneScreenshot, fullPage: true });
  } finally {
    await context.close();
  }
}

async function clipScenario(page, scenario, report) {
  report.first = await until(async () => {
    const s = await snapshot(page);
    return s && s.decoded >= (scenario.minFrames || 10) ? s : null;
  }, 30000) || await snapshot(page);
  report.clipButton = await page.evaluate(() => {
    const b = document.getElementById('clip-button');
    return { visible: !b.hidden && b.getBoundingClientRect().width > 0, text: b.textContent, title: b.title };
  });
  if (scenario.clip === 'download') {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.click('#clip-button')]);
    report.clipSuggestedName = download.suggestedFilename();
    report.clipFile = join(config.outDir, `${scenario.name}-${report.clipSuggestedName}`);
    await download.saveAs(report.clipFile);
  } else {
    await page.click('#clip-button');
    report.notice = await until(async () => {
      const n = await noticeState(page);
      return n.kinds.includes('clip') ? n : null;
    }, 30000) || await noticeState(page);
  }
  report.clips = await until(async () => {
    const c = (await snapshot(page)).clips;
    return c.saving ? null : c;
  }, 10000) || (await snapshot(page)).clips;
}

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

async function tiersScenario(page, context, scenario, report) {
  const minFrames = scenario.minFrames || 10;
  const spec = scenario.tiers;
  report.first = await until(async () => {
    const s = await snapshot(page);
    return s && s.tier && s.tier.label === spec.topLabel && s.width === spec.topWidth && s.decoded >= minFrames ? s : null;
  }, 30000) || await snapshot(page);
  report.picker = await page.evaluate(() => ({
    visible: !document.getElementById('tier-picker').hidden,
    options: [...document.getElementById('tier-select').options].map((o) => o.value),
    shown: document.getElementById('tier-state').textContent,
  }));
  report.pins = [];
  for (const pin of spec.pins) {
    const before = await snapshot(page);
    await page.selectOption('#tier-select', pin.label);
    const label = pin.label === 'auto' ? spec.topLabel : pin.label;
    const after = await until(async () => {
      const s = await snapshot(page);
      return s.connections > before.connections && s.tier && s.tier.label === label && s.width === pin.width
        && s.decoded >= before.decoded + minFrames ? s : null;
    }, 30000) || await snapshot(page);
    // The overlay is redrawn on a timer (every 250 ms, later on a busy machine): give it a few
    // seconds to show the new tier, then report what it shows.
    const overlayText = () => page.evaluate(() => document.getElementById('overlay').textContent);
    const overlay = await until(async () => {
      const text = await overlayText();
      return text.includes(`tier ${label}`) ? text : null;
    }, 5000) || await overlayText();
    report.pins.push({ label: pin.label, before, after, url: page.url(),
      shown: await page.evaluate(() => document.getElementById('tier-state').textContent), overlay });
  }
  if (spec.throttle) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const before = await snapshot(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 0, downloadThroughput: (spec.throttle.kbps * 1000) / 8, uploadThroughput: -1,
    });
    const down = await until(async () => {
      const s = await snapshot(page);
      return s.tier && s.tier.index > 0 && s.tier.reason === 'lagging' ? s : null;
    }, (spec.throttle.seconds || 20) * 1000) || await snapshot(page);
    const after = await until(async () => {
      const s = await snapshot(page);
      return s.tier && s.width === s.tier.width && s.decoded >= down.decoded + minFrames ? s : null;
    }, 20000) || await snapshot(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    report.throttle = { before, down, after };
  }
  if (scenario.screenshot) {
    report.screenshot = join(config.outDir, scenario.screenshot);
    await page.screenshot({ path: report.screenshot });
  }
  report.last = await snapshot(page);
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
      } else if (scenario.plots) {
        await plotsScenario(page, scenario, report);
        if (scenario.phoneScreenshot) {
          await phoneScenario(browser, scenario, report);
        }
      } else if (scenario.tiers) {
        await tiersScenario(page, context, scenario, report);
      } else if (scenario.clip) {
        await clipScenario(page, scenario, report);
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
