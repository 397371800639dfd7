import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DESCRIPTOR_FILE, loadTokenizer, type ModelDescriptor, type ModelTokenizer, parseDescriptorText } from '@aegis/model/tokenizer';

export interface ServedModel {
  readonly id: string;
  readonly descriptor: ModelDescriptor;
  readonly tokenizer: ModelTokenizer;
}

/**
 * The models the gateway answers for, each with its tokenizer and chat template, read once at
 * start-up from AEGIS_MODEL_DIR exactly as ingress reads its catalog: one model folder
 * (model.json inside) or a folder of model folders. Weights are never read.
 */
export class ServedModels {
  private readonly byId: ReadonlyMap<string, ServedModel>;
  /** Unix seconds, for `created` in /v1/models (the gateway's start: the descriptor has no date). */
  readonly created = Math.floor(Date.now() / 1000);

  constructor(models: readonly ServedModel[]) {
    this.byId = new Map(models.map((m) => [m.id, m]));
  }

  static fromDir(dir: string): ServedModels {
    const folders = existsSync(join(dir, DESCRIPTOR_FILE))
      ? [dir]
      : readdirSync(dir, { withFileTypes: true })
          .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, DESCRIPTOR_FILE)))
          .map((e) => join(dir, e.name));
    if (folders.length === 0) throw new Error(`AEGIS_MODEL_DIR: no ${DESCRIPTOR_FILE} in ${dir} or its subfolders`);
    return new ServedModels(
      folders.map((folder) => {
        const descriptor = parseDescriptorText(readFileSync(join(folder, DESCRIPTOR_FILE), 'utf8'));
        return { id: descriptor.modelId, descriptor, tokenizer: loadTokenizer(descriptor, folder) };
      }),
    );
  }

  ids(): string[] {
    return [...this.byId.keys()].sort();
  }

  get(id: string): ServedModel | undefined {
    return this.byId.get(id);
  }
}
