#!/usr/bin/env node
'use strict';
// Starts one service: `node bin/service.js <name>`. In the repository it runs
// services/<name>/src/main.ts through SWC (decorator metadata for NestJS DI, tsconfig path
// aliases); copied into dist/bin by `npm run build` (and so in the container image) it runs the
// compiled services/<name>/src/main.js with plain Node, no TypeScript tooling loaded.
const path = require('node:path');
const fs = require('node:fs');
const name = process.argv[2];
const root = path.join(__dirname, '..');
const main = (ext) => name && path.join(root, 'services', name, 'src', `main${ext}`);
const compiled = main('.js');
const entry = compiled && fs.existsSync(compiled) ? compiled : main('.ts');
if (!name || !/^[a-z-]+$/.test(name) || !fs.existsSync(entry)) {
  const known = fs
    .readdirSync(path.join(root, 'services'))
    .filter((d) => ['.js', '.ts'].some((ext) => fs.existsSync(path.join(root, 'services', d, 'src', `main${ext}`))));
  process.stderr.write(`usage: service.js <name>; known services: ${known.join(', ') || '(none)'}\n`);
  process.exit(2);
}
if (entry !== compiled) {
  process.env.SWC_NODE_PROJECT ??= path.join(root, 'tsconfig.base.json');
  require('@swc-node/register');
}
require(entry);
