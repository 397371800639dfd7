import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Run from the repository root by `npm run chart:check`; kept apart from the unit and integration
// projects because it needs the helm binary. @aegis/* aliases from tsconfig.base.json, as in the
// root config, so the chart's defaults can be checked against @aegis/contracts.
const root = resolve(import.meta.dirname, '../..');
const tsconfig = JSON.parse(readFileSync(resolve(root, 'tsconfig.base.json'), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};
const alias = Object.fromEntries(
  Object.entries(tsconfig.compilerOptions.paths).map(([name, [target]]) => [name, resolve(root, target ?? '')]),
);

export default defineConfig({
  resolve: { alias },
  test: {
    root,
    name: 'chart',
    include: ['deploy/chart-check/**/*.spec.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
