// The PoW checker as a package: its factory. Everything else is internal.
export { start } from './start';
export { checkerEnvSchema } from './pow-checker.env';
