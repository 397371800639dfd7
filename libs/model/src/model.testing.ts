import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_MODEL_ID } from './decoder.config';
import { buildModel } from './model.store';
import { type LoadedModelFiles, readModelDir } from './model.store';

/** A freshly built tiny model in its own temp folder (tests never share .cache with a running devnet). */
export function buildTinyModelForTest(): LoadedModelFiles {
  const dir = join(mkdtempSync(join(tmpdir(), 'aegis-model-')), TINY_MODEL_ID);
  buildModel(TINY_MODEL_ID, dir);
  return readModelDir(dir);
}
