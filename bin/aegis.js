#!/usr/bin/env node
'use strict';
// The CLI. In the repository it runs straight from TypeScript through SWC, which (unlike esbuild)
// emits the decorator metadata NestJS dependency injection relies on, and maps the tsconfig path
// aliases; copied into dist/bin by `npm run build` (the container image) it runs the compiled
// libs/cli/src/main.js with plain Node.
const path = require('node:path');
const fs = require('node:fs');
const compiled = path.join(__dirname, '..', 'libs', 'cli', 'src', 'main.js');
if (fs.existsSync(compiled)) {
  require(compiled);
} else {
  process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', 'tsconfig.base.json');
  require('@swc-node/register');
  require('../libs/cli/src/main.ts');
}
