import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helm.runner';

const HADOLINT = join(REPO_ROOT, '.cache', 'bin', 'hadolint');
const DOCKERFILE = join(REPO_ROOT, 'deploy', 'docker', 'Dockerfile');
const dockerfile = readFileSync(DOCKERFILE, 'utf8');

/** The instructions of one build stage (from its FROM to the next). */
function stage(name: string): string {
  const match = new RegExp(`^FROM \\S+ AS ${name}\\n([\\s\\S]*?)(?=^FROM |(?![\\s\\S]))`, 'm').exec(dockerfile);
  if (!match?.[1]) throw new Error(`no stage ${name}`);
  return match[1];
}

describe('deploy/docker/Dockerfile', () => {
  it('passes hadolint (installed by deploy/chart-check/install-hadolint.sh)', () => {
    expect(existsSync(HADOLINT), 'run deploy/chart-check/install-hadolint.sh').toBe(true);
    const run = spawnSync(HADOLINT, ['--failure-threshold', 'info', DOCKERFILE], { encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });

  it.each(['runtime', 'runtime-cuda'])('runs %s as the non-root user the chart expects, without dev dependencies', (name) => {
    const body = stage(name);
    expect(body).toMatch(/^USER 10001:10001$/m);
    const deps = name === 'runtime' ? 'deps' : 'deps-cuda';
    expect(body).toContain(`COPY --from=${deps} --chown=root:root /app/node_modules ./node_modules`);
    expect(stage(deps)).toMatch(/npm ci --omit=dev/);
  });

  it('fetches the CUDA execution provider only for the CUDA image', () => {
    expect(stage('deps-cuda')).toContain('--onnxruntime-node-install=cuda12');
    expect(stage('deps')).not.toContain('cuda');
  });

  it('keeps the build context to what the image needs', () => {
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignore[ignore.findIndex((l) => l.trim() && !l.startsWith('#'))]).toBe('**');
    expect(ignore).toContain('**/node_modules');
    expect(ignore).toContain('**/*.spec.ts');
  });
});
