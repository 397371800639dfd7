// The tallier as a package: its factory and its schema's migrations. Everything else is internal.
export { start } from './start';
export { migrate } from './migrate';
export { tallierEnvSchema } from './tallier.options';
