// The explorer as a composable unit: the devnet and the tests start it with startExplorer.
export { startExplorer, type RunningExplorer } from './explorer.app';
export { explorerConfigFromEnv, explorerEnvSchema, type ExplorerConfig } from './explorer.config';
export { start } from './start';
