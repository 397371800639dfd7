#!/usr/bin/env node
'use strict';
// Second half of `npm run build` (after `tsc -p tsconfig.build.json`): makes dist/ a tree that
// plain Node runs.
//  1. Rewrites every require("@aegis/<lib>[/<sub>]") in dist/**/*.js to the relative path of the
//     compiled file that tsconfig.base.json's "paths" maps it to (tsc keeps aliases as written).
//     An alias without a mapping fails the build rather than failing at run time.
//  2. Copies bin/*.js (the launchers pick the compiled entry when one sits next to them) and
//     proto/ (loaded at run time by @grpc/proto-loader, relative to libs/contracts).
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const dist = path.join(root, 'dist');
const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));

/** alias -> absolute path of the compiled module, without extension. */
const aliases = new Map(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [alias, path.join(dist, target.replace(/\.ts$/, ''))]),
);

function* jsFiles(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* jsFiles(full);
    else if (entry.name.endsWith('.js')) yield full;
  }
}

let rewritten = 0;
const unknown = new Set();
for (const sub of ['libs', 'services']) {
  const base = path.join(dist, sub);
  if (!fs.existsSync(base)) throw new Error(`finish-dist: ${base} is missing: run tsc -p tsconfig.build.json first`);
  for (const file of jsFiles(base)) {
    const text = fs.readFileSync(file, 'utf8');
    const out = text.replace(/require\((["'])(@aegis\/[^"']+)\1\)/g, (_m, quote, alias) => {
      const target = aliases.get(alias);
      if (target === undefined) {
        unknown.add(`${alias} (in ${path.relative(dist, file)})`);
        return _m;
      }
      let rel = path.relative(path.dirname(file), target).split(path.sep).join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      rewritten += 1;
      return `require(${quote}${rel}${quote})`;
    });
    if (out !== text) fs.writeFileSync(file, out);
  }
}
if (unknown.size > 0) throw new Error(`finish-dist: no tsconfig path for ${[...unknown].join(', ')}`);

fs.mkdirSync(path.join(dist, 'bin'), { recursive: true });
for (const name of fs.readdirSync(path.join(root, 'bin')).filter((n) => n.endsWith('.js'))) {
  fs.copyFileSync(path.join(root, 'bin', name), path.join(dist, 'bin', name));
  fs.chmodSync(path.join(dist, 'bin', name), 0o755);
}
fs.rmSync(path.join(dist, 'proto'), { recursive: true, force: true });
fs.cpSync(path.join(root, 'proto', 'aegis'), path.join(dist, 'proto', 'aegis'), { recursive: true });
process.stdout.write(`finish-dist: ${rewritten} @aegis/* requires rewritten; dist/bin and dist/proto copied\n`);
