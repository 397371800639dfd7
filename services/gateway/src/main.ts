import { runServiceMain } from '@aegis/service-kit';
import { start } from './start';

runServiceMain('gateway', () => start({ env: process.env }));
