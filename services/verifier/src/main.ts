import { runServiceMain } from '@aegis/service-kit';
import { start } from './start';

runServiceMain('verifier', () => start({ env: process.env }));
