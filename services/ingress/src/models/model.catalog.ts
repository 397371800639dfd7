import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DESCRIPTOR_FILE, parseDescriptorText, type ModelDescriptor } from '@aegis/model/descriptor';
import type { TaskLimits } from '@aegis/protocol';

/**
 * The models this network serves and their limits, read once at start-up from AEGIS_MODEL_DIR:
 * either one model folder (model.json inside) or a folder of model folders. Only descriptors are
 * read; ingress never loads weights.
 */
export class ModelCatalog {
  private readonly models: ReadonlyMap<string, ModelDescriptor>;

  constructor(descriptors: readonly ModelDescriptor[]) {
    this.models = new Map(descriptors.map((d) => [d.modelId, d]));
  }

  static fromDir(dir: string): ModelCatalog {
    const direct = join(dir, DESCRIPTOR_FILE);
    if (existsSync(direct)) return new ModelCatalog([parseDescriptorText(readFileSync(direct, 'utf8'))]);
    const found = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, DESCRIPTOR_FILE)))
      .map((e) => parseDescriptorText(readFileSync(join(dir, e.name, DESCRIPTOR_FILE), 'utf8')));
    if (found.length === 0) throw new Error(`AEGIS_MODEL_DIR: no ${DESCRIPTOR_FILE} in ${dir} or its subfolders`);
    return new ModelCatalog(found);
  }

  ids(): string[] {
    return [...this.models.keys()].sort();
  }

  limits(modelId: string, maxPromptTokens?: number): TaskLimits | undefined {
    const d = this.models.get(modelId);
    if (!d) return undefined;
    return {
      vocabSize: d.vocabSize,
      contextLength: d.contextLength,
      maxNewTokensCap: d.contextLength - 1,
      ...(maxPromptTokens !== undefined ? { maxPromptTokens: Math.min(maxPromptTokens, d.contextLength - 1) } : {}),
    };
  }
}
