#!/usr/bin/env node
'use strict';
// A misbehaving node for tests and demos: `node bin/cheater.js <inference-worker|verifier> <behavior>`
// runs the production service factory with a test double plugged into its port
// (libs/devnet/src/cheats). Production images start services with bin/service.js only.
const path = require('node:path');
const root = path.join(__dirname, '..');
process.env.SWC_NODE_PROJECT ??= path.join(root, 'tsconfig.base.json');
require('@swc-node/register');
require(path.join(root, 'libs/devnet/src/cheats/cheater.main.ts'));
