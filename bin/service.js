#!/usr/bin/env node
'use strict';
// Starts one service: `node bin/service.js <name>` runs services/<name>/src/main.ts through SWC
// (decorator metadata for NestJS DI, tsconfig path aliases). Container images use the same entry.
const path = require('node:path');
const fs = require('node:fs');
const name = process.argv[2];
const root = path.join(__dirname, '..');
const entry = name && path.join(root, 'services', name, 'src', 'main.ts');
if (!name || !/^[a-z-]+$/.test(name) || !fs.existsSync(entry)) {
  const known = fs.readdirSync(path.join(root, 'services')).filter((d) => fs.existsSync(path.join(root, 'services', d, 'src', 'main.ts')));
  process.stderr.write(`usage: service.js <name>; known services: ${known.join(', ') || '(none)'}\n`);
  process.exit(2);
}
process.env.SWC_NODE_PROJECT ??= path.join(root, 'tsconfig.base.json');
require('@swc-node/register');
require(entry);
