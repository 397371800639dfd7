import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_DEVNET_OPTIONS, Devnet } from '@aegis/devnet';
import { TINY_MODEL_ID } from '@aegis/model';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Debian's chromium (`apt-get install chromium`; .ci/run installs it): puppeteer-core downloads nothing.
const CHROMIUM = process.env['AEGIS_CHROMIUM'] ?? '/usr/bin/chromium';
// docs/explorer/*.png are made with AEGIS_EXPLORER_SCREENSHOTS=docs/explorer; a plain run keeps its own.
const SHOTS = resolve(process.env['AEGIS_EXPLORER_SCREENSHOTS'] ?? join('.cache', 'explorer-screenshots'));

/** Text of every element matching `selector`. */
const texts = (page: Page, selector: string): Promise<string[]> => page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ''));

describe('the explorer in a real headless browser, over a devnet run with a cheater', () => {
  let devnet: Devnet;
  let browser: Browser;
  let base: string;
  let cheater: string;
  /** Console errors, page errors and failed requests of the pages that must have none. */
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set AEGIS_CHROMIUM)`);
    devnet = await Devnet.start({
      ...DEFAULT_DEVNET_OPTIONS,
      model: TINY_MODEL_ID,
      task: { maxNewTokens: 8, topK: 8, temperatureMilli: 800 },
      nodes: 4,
      cheaters: 1,
      behavior: 'wrong-tokens',
      ingressPort: 0,
      ledgerPort: 0,
      explorerPort: 0,
      windowSeconds: 2,
      stateDir: mkdtempSync(join(tmpdir(), 'aegis-explorer-browser-')),
      logLevel: 'silent',
      progress: () => undefined,
    });
    base = devnet.explorer?.url ?? '';
    cheater = devnet.nodes.find((n) => n.behavior !== 'honest')?.key.address ?? '';
    // Tasks reach the cheater only through its share of partitions: rounds until it is caught.
    const hashes = new Set<string>();
    for (let round = 0; round < 5 && devnet.monitor.counts().liquidated.length === 0; round++) {
      for (let i = 0; i < 6; i++) hashes.add(await devnet.submit(`Browser round ${round} task ${i}`, 8));
      expect(await devnet.waitSettled(hashes, Date.now() + 120_000)).toBe(true);
    }
    expect(devnet.monitor.counts().liquidated).toEqual([cheater]);
    mkdirSync(SHOTS, { recursive: true });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // As root (CI) chromium needs --no-sandbox; the rest keeps a container's small /dev/shm out of it.
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await devnet?.stop();
  });

  /** A page whose console errors, uncaught errors and failed requests are recorded. */
  async function watchedPage(): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()} (${page.url()})`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${String(e)} (${page.url()})`));
    page.on('requestfailed', (r) => {
      // The event stream is cut when the page navigates away: that is not a failure.
      if (!r.url().endsWith('/events')) problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    return page;
  }

  it('renders the overview from real data and updates its live counter without a reload', async () => {
    const page = await watchedPage();
    await page.goto(base, { waitUntil: 'networkidle2' });
    // Browser-side code as strings: this suite compiles against Node's types, not the DOM's.
    await page.waitForFunction(`document.getElementById('live-state').textContent !== 'connecting'`);
    const counter = async (key: string): Promise<string> => (await texts(page, `[data-counter="${key}"]`)).join('');
    expect(Number(await counter('liquidations'))).toBeGreaterThanOrEqual(1);
    expect(Number(await counter('disputes'))).toBeGreaterThanOrEqual(1);
    expect(Number(await counter('activeNodes'))).toBe(3);
    expect((await texts(page, '#tasks tbody tr')).length).toBeGreaterThan(0);
    expect((await texts(page, '#nodes td')).join(' ')).toContain('liquidated');
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });

    // A marker on window survives only if the page is never reloaded.
    await page.evaluate('window.marker = 42');
    const before = Number(await counter('tasks'));
    const hash = await devnet.submit('Live counter task', 8);
    await page.waitForFunction(`Number(document.querySelector('[data-counter="tasks"]').textContent) === ${before + 1}`, {
      timeout: 30_000,
    });
    // htmx re-reads the latest tasks too: the new one appears in the table without a reload.
    await page.waitForSelector(`#tasks a[href="/tasks/${hash}"]`, { timeout: 30_000 });
    expect(await page.evaluate('window.marker')).toBe(42);
    await devnet.waitSettled(new Set([hash]), Date.now() + 60_000);
    await page.close();
  }, 120_000);

  it('shows the dispute: both sides, the tally, the liquidation and where the pool went', async () => {
    const page = await watchedPage();
    await page.goto(base, { waitUntil: 'networkidle2' });
    // The cheater may be caught more than once; the dispute that took its stake is the one to show.
    const hrefs = await page.$$eval('#disputes tbody a[href^="/disputes/"]', (as) => as.map((a) => a.getAttribute('href') ?? ''));
    expect(hrefs.length).toBeGreaterThan(0);
    let found = false;
    for (const href of hrefs) {
      await page.goto(`${base}${href.slice(1)}`, { waitUntil: 'networkidle2' });
      if ((await texts(page, '#liquidation tbody tr')).length > 0) {
        found = true;
        break;
      }
    }
    expect(found).toBe(true);
    const sides = (await texts(page, '#sides')).join(' ');
    expect(sides).toContain('Against the result');
    expect(sides).toContain(cheater);
    expect((await texts(page, '#tally dd')).join(' ')).toMatch(/REJECT|reject/i);
    const liquidation = await texts(page, '#liquidation tbody tr');
    expect(liquidation.length).toBeGreaterThan(0);
    expect(liquidation.join(' ')).toContain('liquidate');
    const pool = await texts(page, '#pool tbody tr');
    expect(pool.join(' ')).toContain('distribute-pool');
    expect(pool.length).toBeGreaterThan(1);
    await page.screenshot({ path: join(SHOTS, 'dispute.png'), fullPage: true });

    // From the dispute to its task: spec, prompt text, timeline, verdicts with their PoW check, ledger entries.
    await Promise.all([page.waitForNavigation(), page.click('dd a[href^="/tasks/"]')]);
    expect((await texts(page, '#prompt pre')).join(' ')).toMatch(/Browser round \d task \d/);
    expect((await texts(page, '#timeline li')).join(' ')).toContain('DISPUTED');
    // The rejected answer itself, decoded: what the dispute was about.
    expect((await texts(page, '#results pre')).join('').length).toBeGreaterThan(0);
    const verdicts = await texts(page, '#verdicts tbody tr');
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts.join(' ')).toMatch(/REJECT/);
    expect(verdicts.join(' ')).toMatch(/PASSED|NOT_ELIGIBLE/);
    expect((await texts(page, '#entries tbody tr')).join(' ')).toContain('liquidate');
    await page.screenshot({ path: join(SHOTS, 'task.png'), fullPage: true });
    await page.close();
  }, 120_000);

  it("shows the cheater's node page with its slash, and an honest node's tasks and rewards", async () => {
    const page = await watchedPage();
    await page.goto(`${base}nodes/${cheater}`, { waitUntil: 'networkidle2' });
    expect((await texts(page, '#slashes tbody tr')).join(' ')).toContain('liquidate');
    expect((await texts(page, '#stake tbody tr')).length).toBeGreaterThanOrEqual(2);
    // The slash names what it was for: its link leads (through search) to the dispute that took the stake.
    await Promise.all([page.waitForNavigation(), page.click('#slashes tbody a[href^="/search?q="]')]);
    expect(new URL(page.url()).pathname).toMatch(/^\/disputes\/0x[0-9a-f]{64}$/);
    expect((await texts(page, '#liquidation tbody tr')).join(' ')).toContain(cheater.slice(0, 10));
    const honest = devnet.nodes.find((n) => n.behavior === 'honest')?.key.address ?? '';
    await page.goto(`${base}nodes/${honest}`, { waitUntil: 'networkidle2' });
    expect((await texts(page, '#tasks tbody tr')).length + (await texts(page, '#verdicts tbody tr')).length).toBeGreaterThan(0);
    expect((await texts(page, '#slashes')).join(' ')).toContain('No ledger entries');
    await page.screenshot({ path: join(SHOTS, 'node.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('finds a node by address and a task by hash through the search box', async () => {
    const page = await watchedPage();
    await page.goto(base, { waitUntil: 'networkidle2' });
    await page.type('header input[name="q"]', cheater.toUpperCase().replace('0X', '0x'));
    await Promise.all([page.waitForNavigation(), page.click('header button[type="submit"]')]);
    expect(new URL(page.url()).pathname).toBe(`/nodes/${cheater}`);
    const hash = (await page.$eval('#tasks tbody a[href^="/tasks/"]', (a) => a.getAttribute('href') ?? '')).slice('/tasks/'.length);
    await page.type('header input[name="q"]', hash);
    await Promise.all([page.waitForNavigation(), page.click('header button[type="submit"]')]);
    expect(new URL(page.url()).pathname).toBe(`/tasks/${hash}`);
    await page.close();
  }, 60_000);

  it('answers malformed and unknown search terms with 400 and 404 pages', async () => {
    // Not a watched page: the browser logs the 400 and 404 it is asked to load as console errors.
    const page = await browser.newPage();
    const bad = await page.goto(`${base}search?q=not-a-hash`);
    expect(bad?.status()).toBe(400);
    expect((await texts(page, '#error-message')).join('')).toMatch(/^q: expected a task hash/);
    const missing = await page.goto(`${base}search?q=0x${'ab'.repeat(32)}`);
    expect(missing?.status()).toBe(404);
    await page.close();
  });

  it('logged no console error, page error or failed request on any page', () => {
    expect(problems).toEqual([]);
  });
});
