import { InProcessEventBus } from '@aegis/bus';
import { bootstrapService, type RunningService } from '@aegis/service-kit';
import type { Logger } from 'pino';
import type { GatewayConfig } from './gateway.config';
import { GatewayAppModule } from './gateway-app.module';
import { IngressClient } from './ingress/ingress.client';
import type { ApiKeyStore } from './keys/api-key';
import { ApiKeyAuth } from './keys/api-key.auth';
import { KeyCustody } from './keys/key.custody';
import { TokenBuckets } from './keys/token.bucket';
import type { ServedModels } from './openai/served.models';
import { TaskRunner } from './openai/task.runner';

export interface GatewayAppLaunch {
  readonly config: GatewayConfig;
  readonly models: ServedModels;
  readonly store: ApiKeyStore;
  readonly masterKeyHex: string;
  readonly ingressUrl: string;
  readonly logger: Logger;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly metricsPort: number | null;
  readonly host?: string;
  readonly handleSignals?: boolean;
}

/** The gateway on any key store: start.ts (env) and the specs use it. */
export async function startGatewayApp(launch: GatewayAppLaunch): Promise<RunningService> {
  const ingress = new IngressClient(launch.ingressUrl);
  const auth = new ApiKeyAuth(
    launch.store,
    new KeyCustody(launch.masterKeyHex),
    new TokenBuckets(launch.config.ratePerSecond, launch.config.rateBurst),
  );
  const runner = new TaskRunner(ingress, launch.config.taskTimeoutMs, launch.logger);
  let running: RunningService;
  try {
    running = await bootstrapService({
      name: 'gateway',
      module: GatewayAppModule.forRoot({ config: launch.config, models: launch.models, auth, runner }),
      logger: launch.logger,
      // The gateway neither consumes nor publishes: it reaches the network through TaskIngress
      // like any client. The bootstrap's bus slot gets an empty in-process bus.
      bus: new InProcessEventBus({ topics: [] }),
      ownsBus: true,
      ...(launch.host ? { host: launch.host } : {}),
      grpc: { port: launch.grpcPort, services: [] },
      http: { port: launch.httpPort },
      metricsPort: launch.metricsPort,
      handleSignals: launch.handleSignals ?? true,
    });
  } catch (err) {
    ingress.close();
    await launch.store.close();
    throw err;
  }
  return {
    ...running,
    close: async () => {
      await running.close();
      ingress.close();
      await launch.store.close();
    },
  };
}
