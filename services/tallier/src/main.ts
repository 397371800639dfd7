import { runServiceMain } from '@aegis/service-kit';
import { start } from './start';

runServiceMain('tallier', () => start({ env: process.env }));
