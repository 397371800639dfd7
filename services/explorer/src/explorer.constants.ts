export const EXPLORER_OPTIONS = Symbol('EXPLORER_OPTIONS');

export interface ExplorerOptions {
  readonly refreshMs: number;
}
