import { type DynamicModule, Module } from '@nestjs/common';
import type { GatewayConfig } from './gateway.config';
import { GatewayMetrics } from './gateway.metrics';
import { API_KEY_AUTH, GATEWAY_CONFIG, SERVED_MODELS, TASK_RUNNER } from './gateway.tokens';
import type { ApiKeyAuth } from './keys/api-key.auth';
import { OpenAiController } from './openai/openai.controller';
import type { ServedModels } from './openai/served.models';
import type { TaskRunner } from './openai/task.runner';

export interface GatewayAppOptions {
  readonly config: GatewayConfig;
  readonly models: ServedModels;
  readonly auth: ApiKeyAuth;
  readonly runner: TaskRunner;
}

@Module({})
export class GatewayAppModule {
  static forRoot(o: GatewayAppOptions): DynamicModule {
    return {
      module: GatewayAppModule,
      controllers: [OpenAiController],
      providers: [
        GatewayMetrics,
        { provide: GATEWAY_CONFIG, useValue: o.config },
        { provide: SERVED_MODELS, useValue: o.models },
        { provide: API_KEY_AUTH, useValue: o.auth },
        { provide: TASK_RUNNER, useValue: o.runner },
      ],
    };
  }
}
