import { runServiceMain } from '@aegis/service-kit';
import { start } from './start';

runServiceMain('pow-checker', () => start({ env: process.env }));
