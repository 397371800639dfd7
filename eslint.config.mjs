// Module boundaries that actually forbid things (docs/conventions.md, Layout and aliases):
// - the protocol core (type:protocol) imports only other protocol code and no framework or I/O;
// - a service (type:service) never imports another service;
// - only libs/bus imports kafkajs and only libs/db / libs/ledger build TypeORM DataSources.
import nx from '@nx/eslint-plugin';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const frameworkAndIo = [
  '@nestjs/*',
  'kafkajs',
  'typeorm',
  'pg',
  '@grpc/*',
  'onnxruntime-node',
  'pino',
  'prom-client',
  'node:fs',
  'node:fs/promises',
  'fs',
  'node:net',
  'node:http',
  'node:child_process',
  'child_process',
];

export default tseslint.config(
  { ignores: ['libs/contracts/src/gen/**', '**/node_modules/**', '**/dist/**', '.cache/**', '.nx/**', 'bin/**', 'helm/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:protocol', onlyDependOnLibsWithTags: ['type:protocol'], bannedExternalImports: frameworkAndIo },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:protocol', 'type:contracts'] },
            {
              sourceTag: 'type:runtime',
              onlyDependOnLibsWithTags: ['type:protocol'],
              bannedExternalImports: ['@nestjs/*', 'kafkajs', 'typeorm', 'pg'],
            },
            {
              sourceTag: 'type:data',
              onlyDependOnLibsWithTags: ['type:protocol', 'type:infra', 'type:contracts'],
              bannedExternalImports: ['@nestjs/*', 'kafkajs'],
            },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:protocol', 'type:infra', 'type:contracts'] },
            {
              sourceTag: 'type:service',
              onlyDependOnLibsWithTags: ['type:protocol', 'type:runtime', 'type:data', 'type:infra', 'type:contracts'],
            },
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: ['type:protocol', 'type:infra', 'type:data', 'type:contracts', 'type:runtime'],
            },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
    },
  },
  {
    // Type-aware rules: a promise nobody awaits, or one handed where a plain callback is expected,
    // loses its rejection (an unhandled rejection kills the process, or the failure vanishes).
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // Only the bus lib talks to Kafka; only the db and ledger libs build DataSources.
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['libs/bus/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'kafkajs', message: 'Use @aegis/bus.' }] }] },
  },
  {
    // Build scripts in plain CommonJS (they run before anything is compiled).
    files: ['deploy/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'libs/testing/**'],
    rules: { '@nx/enforce-module-boundaries': 'off', 'no-restricted-imports': 'off' },
  },
);
