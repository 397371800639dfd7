import { runServiceMain } from '@aegis/service-kit';
import { start } from './start';

runServiceMain('inference-worker', () => start({ env: process.env }));
