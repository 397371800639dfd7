import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// One source of truth for the @aegis/* aliases: tsconfig.base.json.
const tsconfig = JSON.parse(readFileSync(resolve(import.meta.dirname, 'tsconfig.base.json'), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};
// Longest name first: an alias also matches `name/...`, so `@aegis/model` would otherwise capture
// the subpath entry `@aegis/model/descriptor`.
const alias = Object.entries(tsconfig.compilerOptions.paths)
  .sort(([a], [b]) => b.length - a.length)
  .map(([find, [target]]) => ({ find, replacement: resolve(import.meta.dirname, target ?? '') }));

// SWC (not esbuild) so that NestJS sees emitDecoratorMetadata in tests too.
const plugins = [swc.vite({ module: { type: 'es6' } })];

export default defineConfig({
  plugins,
  resolve: { alias },
  test: {
    projects: [
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['libs/**/*.spec.ts', 'services/**/*.spec.ts'],
          exclude: ['**/*.int.spec.ts', '**/*.e2e.spec.ts', '**/node_modules/**'],
          testTimeout: 60_000,
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['libs/**/*.int.spec.ts', 'services/**/*.int.spec.ts', 'services/**/*.e2e.spec.ts'],
          globalSetup: ['libs/testing/src/global-setup.ts'],
          // Integration suites share one Postgres and one Kafka broker: run files one at a time.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
