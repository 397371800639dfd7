import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DEVNET_OPTIONS, Devnet } from '@aegis/devnet';
import { TINY_MODEL_ID } from '@aegis/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Reply {
  status: number;
  location: string | undefined;
  type: string | undefined;
  body: string;
}

function get(url: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, type: res.headers['content-type'], body }),
      );
    })
      .on('error', reject)
      .end();
  });
}

/** The first server-sent event's data on /events. */
function firstEvent(url: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        const match = /^data: (.*)$/m.exec(buffered);
        if (match?.[1]) {
          req.destroy();
          resolve(JSON.parse(match[1]) as Record<string, unknown>);
        }
      });
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.end();
  });
}

describe('the explorer over a devnet run (HTTP)', () => {
  let devnet: Devnet;
  let base: string;
  let hashes: string[];

  beforeAll(async () => {
    devnet = await Devnet.start({
      ...DEFAULT_DEVNET_OPTIONS,
      model: TINY_MODEL_ID,
      nodes: 3,
      cheaters: 0,
      inference: 'noop',
      ingressPort: 0,
      ledgerPort: 0,
      explorerPort: 0,
      task: { ...DEFAULT_DEVNET_OPTIONS.task, prompt: 'Explorer smoke prompt' },
      stateDir: mkdtempSync(join(tmpdir(), 'aegis-explorer-')),
      logLevel: 'silent',
      progress: () => undefined,
    });
    base = devnet.explorer?.url ?? '';
    const summary = await devnet.runTasks(2, 120_000, 1, true);
    expect(summary).toMatchObject({ settled: true, accepted: 2 });
    hashes = (summary.answers ?? []).map((a) => a.taskHash);
  }, 240_000);
  afterAll(async () => {
    await devnet?.stop();
  });

  it('renders the overview with its counters and the latest tasks', async () => {
    const page = await get(base);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/text\/html/);
    expect(page.body.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page.body).toMatch(/data-counter="accepted">2</);
    for (const h of hashes) expect(page.body).toContain(`/tasks/${h}`);
    const rows = await get(`${base}fragments/recent-tasks`);
    expect(rows.body).toContain(`/tasks/${hashes[0]}`);
  });

  it('renders a task with its decoded prompt, timeline, node and ledger entries', async () => {
    const hash = hashes[0] ?? '';
    const page = await get(`${base}tasks/${hash}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Explorer smoke prompt');
    expect(page.body).toContain('ACCEPTED');
    expect(page.body).toContain('escrow-fee');
    expect(page.body).toContain('payout-fee');
    // The same page for the hash in upper case (validated, then looked up in lowercase).
    expect((await get(`${base}tasks/0x${hash.slice(2).toUpperCase()}`)).status).toBe(200);
  });

  it('renders a node page with its stake history and tasks', async () => {
    const address = devnet.nodes[0]?.key.address ?? '';
    const page = await get(`${base}nodes/${address}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Stake history');
    expect(page.body).toMatch(/>stake</);
  });

  it('answers 400 naming the parameter for malformed input and 404 for what does not exist', async () => {
    const bad = await get(`${base}tasks/0x1234`);
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('task hash: expected 0x followed by 64 hex digits');
    expect((await get(`${base}nodes/nothex`)).status).toBe(400);
    expect((await get(`${base}disputes/${'0x'.padEnd(66, 'z')}`)).status).toBe(400);
    const missing = await get(`${base}tasks/0x${'ab'.repeat(32)}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('no task');
    expect((await get(`${base}disputes/0x${'ab'.repeat(32)}`)).status).toBe(404);
    expect((await get(`${base}nodes/0x${'ab'.repeat(20)}`)).status).toBe(404);
    expect((await get(`${base}no/such/page`)).status).toBe(404);
    expect((await get(`${base}static/..%2Fexplorer.controller.ts`)).status).toBe(404);
    expect((await get(`${base}search?q=hello`)).status).toBe(400);
    expect((await get(`${base}search`)).status).toBe(400);
  });

  it('search redirects to the task or node page', async () => {
    const hash = hashes[1] ?? '';
    expect(await get(`${base}search?q=${hash}`)).toMatchObject({ status: 303, location: `/tasks/${hash}` });
    const address = devnet.nodes[1]?.key.address ?? '';
    expect(await get(`${base}search?q=${address.toUpperCase().replace('0X', '0x')}`)).toMatchObject({
      status: 303,
      location: `/nodes/${address}`,
    });
    expect((await get(`${base}search?q=0x${'cd'.repeat(32)}`)).status).toBe(404);
  });

  it('streams the counters as server-sent events', async () => {
    const counters = await firstEvent(`${base}events`);
    expect(counters).toMatchObject({ tasks: 2, accepted: 2, activeNodes: 3 });
  });

  it('serves htmx and its own script', async () => {
    const htmx = await get(`${base}static/htmx.min.js`);
    expect(htmx.status).toBe(200);
    expect(htmx.body).toContain('htmx');
    expect((await get(`${base}static/live.js`)).body).toContain('EventSource');
  });
});
