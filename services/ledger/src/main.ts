import { runServiceMain } from '@aegis/service-kit';
import { start } from './start';

runServiceMain('ledger', () => start({ env: process.env }));
