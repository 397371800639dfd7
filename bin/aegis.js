#!/usr/bin/env node
'use strict';
// Runs the CLI straight from TypeScript through SWC, which (unlike esbuild) emits the decorator
// metadata NestJS dependency injection relies on, and maps the tsconfig path aliases.
const path = require('node:path');
process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
require('../libs/cli/src/main.ts');
