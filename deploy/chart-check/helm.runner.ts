import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** chart:check runs from the repository root (npm scripts do). */
export const REPO_ROOT = resolve(process.cwd());
export const HELM_BIN = join(REPO_ROOT, '.cache', 'bin', 'helm');
export const CHART_DIR = join(REPO_ROOT, 'helm', 'aegis');
export const RELEASE = 'aegis';
export const NAMESPACE = 'aegis';

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function helm(args: readonly string[]): HelmResult {
  if (!existsSync(HELM_BIN)) {
    throw new Error(`${HELM_BIN} is missing: run deploy/chart-check/install-helm.sh (npm run chart:check does)`);
  }
  const run = spawnSync(HELM_BIN, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  return { code: run.status ?? 1, stdout: run.stdout, stderr: run.stderr };
}

/**
 * A copy of the chart to render: the chart has no dependencies (its in-cluster Kafka and Postgres
 * are its own templates), so the copy only adds the NOTES probe below.
 */
export function stageChart(): string {
  const root = mkdtempSync(join(tmpdir(), 'aegis-chart-'));
  const chart = join(root, 'aegis');
  cpSync(CHART_DIR, chart, { recursive: true });
  // NOTES.txt is only rendered by a real install. This stand-in template renders it through tpl
  // into a ConfigMap, and only for the release name NOTES_RELEASE, so other renders are unchanged.
  mkdirSync(join(chart, 'notes-probe'));
  cpSync(join(chart, 'templates', 'NOTES.txt'), join(chart, 'notes-probe', 'NOTES.txt'));
  writeFileSync(
    join(chart, 'templates', 'zz-notes-probe.yaml'),
    `{{- if eq .Release.Name "${NOTES_RELEASE}" }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n` +
      `data:\n  notes: {{ tpl (.Files.Get "notes-probe/NOTES.txt") . | toJson }}\n{{- end }}\n`,
  );
  return chart;
}

export const NOTES_RELEASE = 'notes-probe';

/** NOTES.txt as `helm install` would print it, for a chart from stageChart(). */
export function renderNotes(chart: string, options: RenderOptions = {}): string {
  const args = renderArgs(chart, options);
  args[1] = NOTES_RELEASE;
  const result = helm([...args, '--show-only', 'templates/zz-notes-probe.yaml']);
  if (result.code !== 0) throw new Error(`rendering NOTES.txt failed: ${result.stderr}`);
  const doc = parseAllDocuments(result.stdout)[0]?.toJS() as { data?: { notes?: string } } | undefined;
  if (typeof doc?.data?.notes !== 'string') throw new Error('NOTES.txt rendered to nothing');
  return doc.data.notes;
}

export interface RenderOptions {
  /** Values files: names under helm/aegis/ci/, or paths relative to the repository root. */
  readonly valuesFiles?: readonly string[];
  readonly set?: Readonly<Record<string, string>>;
  readonly setJson?: Readonly<Record<string, string>>;
  /** Extra API versions the target cluster serves (Kind groups/version/Kind). */
  readonly apiVersions?: readonly string[];
}

export function renderArgs(chart: string, options: RenderOptions = {}): string[] {
  const args = ['template', RELEASE, chart, '--namespace', NAMESPACE, '--include-crds'];
  for (const file of options.valuesFiles ?? []) {
    args.push('--values', file.includes('/') ? join(REPO_ROOT, file) : join(CHART_DIR, 'ci', file));
  }
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${value}`);
  for (const [key, value] of Object.entries(options.setJson ?? {})) args.push('--set-json', `${key}=${value}`);
  for (const api of options.apiVersions ?? []) args.push('--api-versions', api);
  return args;
}

export function render(chart: string, options: RenderOptions = {}): HelmResult {
  return helm(renderArgs(chart, options));
}
