import { runServiceMain } from '@aegis/service-kit';
import { start } from './start';

runServiceMain('ingress', () => start({ env: process.env }));
