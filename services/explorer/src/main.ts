import { runServiceMain } from '@aegis/service-kit';
import { start } from './start';

runServiceMain('explorer', async () => {
  const explorer = await start(process.env);
  const stop = (): void => {
    explorer.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
