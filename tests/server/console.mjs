// console.mjs — the web console (web/, served at /console) driven in headless Chromium with
// playwright-core (Debian's /usr/bin/chromium): load, text search, image upload search,
// click-through (search by a result), the API-key prompt, and the media route's refusal of
// anything outside --media-root. The data is `vitrine demo --limit 300` (Fashion-MNIST with
// PNG thumbnails under DATA/media). Screenshots go to build/test-artifacts/console/.
//
// Prints "ok NAME" / "FAIL NAME: why" per test and ends with "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { spawnServe } from './serve.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = process.env.VITRINE_BIN || join(ROOT, 'build/vitrine');
const SHOTS = join(ROOT, 'build/test-artifacts/console');
const CHROMIUM = '/usr/bin/chromium';
let passed = 0, failed = 0;

async function test(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 4).join(' | ') : e}`);
  }
}

async function startServer(data, extra = []) {
  const { proc, listening } = spawnServe(BIN, ['--data', data, '--media-root', join(data, 'media'), ...extra]);
  proc.url = await listening;
  return proc;
}

function stop(proc) {
  return new Promise((resolve) => { proc.on('exit', resolve); proc.kill('SIGTERM'); });
}

// classes of the result cards, from their payload line
async function cardClasses(page) {
  return page.$$eval('.card .payload', (els) => els.map((e) => (e.textContent.match(/class: "([^"]+)"/) || [])[1]));
}

async function main() {
  if (!existsSync(CHROMIUM)) {
    console.log(`console: ${CHROMIUM} is missing (run scripts/install-deps.sh)`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  mkdirSync(SHOTS, { recursive: true });
  const data = mkdtempSync(join(tmpdir(), 'vt-console-'));
  const demo = spawnSync(BIN, ['demo', '--limit', '300', '--data', data], { encoding: 'utf8' });
  if (demo.status !== 0) {
    console.log(`console: the demo data could not be made: ${demo.stderr}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  let server = await startServer(data);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  await test('the console loads with the collection and its statistics', async () => {
    await page.goto(`${server.url}/console`);
    await page.waitForFunction(() => document.getElementById('status').textContent === 'ready', null, { timeout: 15000 });
    assert.equal(await page.$eval('#collection', (s) => s.value), 'fashion');
    const stats = await page.textContent('#stats');
    assert.match(stats, /300 points/);
    assert.match(stats, /MB in RAM/);
    assert.match(stats, /HNSW image: /);
    assert.deepEqual(await page.$$eval('#using option', (o) => o.map((x) => x.value).sort()), ['image', 'text']);
    await page.screenshot({ path: join(SHOTS, '1-loaded.png') });
  });

  await test('text search shows matching images with thumbnails and scores', async () => {
    await page.fill('#text', 'a photo of a sneaker');
    await page.click('#go');
    await page.waitForSelector('.card');
    const classes = await cardClasses(page);
    assert.equal(classes.length, 20);
    const top10 = classes.slice(0, 10).filter((c) => c === 'sneaker').length;
    assert.ok(top10 >= 8, `only ${top10} sneakers in the top 10: ${classes.slice(0, 10)}`);
    await page.waitForFunction(() => [...document.querySelectorAll('.card img')].slice(0, 5).every((i) => i.complete && i.naturalWidth > 0));
    assert.match(await page.textContent('.card .score'), /^\d\.\d{3}/);
    await page.screenshot({ path: join(SHOTS, '2-text-search.png') });
  });

  await test('an uploaded image searches by image (text + image fused)', async () => {
    await page.fill('#text', '');
    await page.setInputFiles('#file', join(data, 'media/images/test_00000.png')); // an ankle boot
    await page.waitForFunction(() => /results for the image/.test(document.getElementById('status').textContent));
    const classes = await cardClasses(page);
    assert.ok(classes.slice(0, 10).filter((c) => c === 'ankle boot').length >= 8, classes.slice(0, 10).join(','));
    await page.screenshot({ path: join(SHOTS, '3-image-search.png') });
    await page.fill('#text', 'dark ankle boot');
    await page.click('#go');
    await page.waitForFunction(() => /text \+ image \(RRF\)/.test(document.getElementById('status').textContent));
    await page.click('#clearimage');
  });

  await test('clicking a result searches by it', async () => {
    await page.selectOption('#using', 'image');
    const id = await page.$eval('.card', (c) => c.dataset.id);
    const cls = (await cardClasses(page))[0];
    await page.click('.card');
    await page.waitForFunction((i) => document.getElementById('status').textContent.includes(`point ${i}`), id);
    const ids = await page.$$eval('.card', (cs) => cs.map((c) => c.dataset.id));
    assert.ok(ids.length > 0 && !ids.includes(id), 'a search by a point leaves the point itself out, as Qdrant does');
    const same = (await cardClasses(page)).slice(0, 10).filter((c) => c === cls).length;
    assert.ok(same >= 7, `only ${same} of the 10 nearest images are ${cls}`);
    await page.screenshot({ path: join(SHOTS, '4-click-through.png') });
  });

  await test('a payload filter restricts the results', async () => {
    await page.fill('#text', 'a photo of a bag');
    await page.selectOption('#using', 'image');
    await page.fill('#fkey', 'tone');
    await page.fill('#fvalue', 'dark');
    await page.click('#go');
    await page.waitForFunction(() => /results for/.test(document.getElementById('status').textContent));
    const tones = await page.$$eval('.card .payload', (els) => els.map((e) => (e.textContent.match(/tone: "([^"]+)"/) || [])[1]));
    assert.ok(tones.length > 0 && tones.every((t) => t === 'dark'), tones.join(','));
    await page.fill('#fkey', '');
  });

  await test('media is served only from --media-root', async () => {
    const ok = await fetch(`${server.url}/media/images/test_00001.png`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'image/png');
    for (const bad of ['/media/../../../etc/passwd', '/media/%2e%2e/%2e%2e/etc/passwd', '/media/images/..%2f..%2f..%2fetc%2fpasswd',
                       '/media//etc/passwd', '/media/images/nope.png']) {
      const r = await fetch(server.url + bad);
      assert.ok([400, 403, 404].includes(r.status), `${bad} → ${r.status}`);
      assert.ok(!(await r.text()).includes('root:'), `${bad} leaked a file`);
    }
  });

  await stop(server);
  server = await startServer(data, ['--api-key', 'open-sesame']);

  await test('with an API key the console asks for it and then works', async () => {
    const p2 = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await p2.goto(`${server.url}/console`);
    await p2.waitForSelector('#keybox:not([hidden])');
    await p2.screenshot({ path: join(SHOTS, '5-api-key-prompt.png') });
    await p2.fill('#apikey', 'open-sesame');
    await p2.click('#keyform button');
    await p2.waitForFunction(() => document.getElementById('status').textContent === 'ready');
    await p2.fill('#text', 'trousers');
    await p2.click('#go');
    await p2.waitForSelector('.card');
    await p2.waitForFunction(() => [...document.querySelectorAll('.card img')].slice(0, 3).every((i) => i.complete && i.naturalWidth > 0));
    await p2.screenshot({ path: join(SHOTS, '6-api-key-search.png') });
    await p2.close();
  });

  await test('no script errors on the page', async () => {
    assert.deepEqual(consoleErrors, []);
  });

  await stop(server);
  await browser.close();
  rmSync(data, { recursive: true, force: true });
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`console: ${e && e.stack ? e.stack : e}`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
