import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { EventBus } from '@aegis/bus';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ServiceHealth } from '../health';
import { EVENT_BUS, METRICS_REGISTRY, SERVICE_HEALTH, SERVICE_LOGGER } from './service-kit.constants';

export interface ServiceContext {
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly health: ServiceHealth;
  readonly metrics: Registry;
}

/**
 * What the process owns (bus, logger, health, metrics) as global providers, so a service module
 * injects them by token and a test swaps them in one line. Built by bootstrapService.
 */
@Global()
@Module({})
export class ServiceContextModule {
  static forRoot(context: ServiceContext): DynamicModule {
    const providers = [
      { provide: EVENT_BUS, useValue: context.bus },
      { provide: SERVICE_LOGGER, useValue: context.logger },
      { provide: SERVICE_HEALTH, useValue: context.health },
      { provide: METRICS_REGISTRY, useValue: context.metrics },
    ];
    return { module: ServiceContextModule, providers, exports: providers.map((p) => p.provide) };
  }
}
