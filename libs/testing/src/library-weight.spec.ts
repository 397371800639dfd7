// Libraries cut by weight: importing a package must not load a native or heavy dependency it
// never uses (ingress must not start onnxruntime, the simulator must not load TypeORM). Each entry
// is loaded in a fresh Node process through the same register hook the services run with, and the
// packages under node_modules that ended up in its module cache are compared with what it may load.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');

/** The packages of node_modules that loading `entry` pulls in (their top-level names). */
function packagesLoadedBy(entry: string): string[] {
  const script = `
    require(${JSON.stringify(resolve(root, entry))});
    const names = new Set();
    for (const file of Object.keys(require.cache)) {
      const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file.slice(file.lastIndexOf('node_modules/')));
      if (m) names.add(m[1]);
    }
    process.stdout.write(JSON.stringify([...names].sort()));
  `;
  const run = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
    cwd: root,
    env: { ...process.env, SWC_NODE_PROJECT: resolve(root, 'tsconfig.base.json') },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`loading ${entry} failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as string[];
}

const RUNTIME = ['onnxruntime-node', 'node-llama-cpp', '@huggingface/tokenizers'];
const DATABASE = ['typeorm', 'pg'];
const SERVICE_STACK = ['@nestjs/core', '@grpc/grpc-js', 'kafkajs'];

const CASES: ReadonlyArray<{ entry: string; mustNotLoad: string[] }> = [
  { entry: 'libs/protocol/src/index.ts', mustNotLoad: [...RUNTIME, ...DATABASE, ...SERVICE_STACK] },
  { entry: 'libs/consensus/src/index.ts', mustNotLoad: [...RUNTIME, ...DATABASE, ...SERVICE_STACK] },
  { entry: 'libs/ledger/src/core.ts', mustNotLoad: [...RUNTIME, ...DATABASE, ...SERVICE_STACK] },
  { entry: 'libs/sim/src/index.ts', mustNotLoad: [...RUNTIME, ...DATABASE, ...SERVICE_STACK] },
  { entry: 'libs/model/src/descriptor.ts', mustNotLoad: [...RUNTIME, ...DATABASE, ...SERVICE_STACK] },
  { entry: 'services/ingress/src/index.ts', mustNotLoad: RUNTIME },
  { entry: 'services/ledger/src/index.ts', mustNotLoad: RUNTIME },
  { entry: 'services/tallier/src/index.ts', mustNotLoad: RUNTIME },
];

describe('libraries cut by weight', () => {
  it.each(CASES)('$entry loads none of $mustNotLoad', ({ entry, mustNotLoad }) => {
    const loaded = packagesLoadedBy(entry);
    // The probe itself must see something, or an empty list would pass for the wrong reason.
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.filter((name) => mustNotLoad.includes(name))).toEqual([]);
  });
});
