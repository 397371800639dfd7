import { type DynamicModule, Module } from '@nestjs/common';
import { instanceConsumerGroup, type StakeView } from '@aegis/contracts';
import { stakeViewProviders } from '@aegis/service-kit';
import { VerificationController } from './verification/verification.controller';
import { VerificationService } from './verification/verification.service';
import { VERIFIER_OPTIONS, VERIFIER_STAKE_VIEW } from './verifier.constants';
import type { VerifierOptions } from './verifier.options';

export interface VerifierModuleOptions {
  readonly options: VerifierOptions;
  /** Given: the caller keeps it current. Absent: the module folds one from aegis.stake-events.v1. */
  readonly stakeView?: StakeView;
  readonly minStake?: bigint;
}

/** Each verifier process must see every submission: its group is its own. */
export function verifierConsumerGroup(instanceId: string): string {
  return instanceConsumerGroup('verifier', instanceId);
}

@Module({})
export class VerifierModule {
  static forRoot(config: VerifierModuleOptions): DynamicModule {
    return {
      module: VerifierModule,
      controllers: [VerificationController],
      providers: [
        { provide: VERIFIER_OPTIONS, useValue: config.options },
        ...stakeViewProviders(VERIFIER_STAKE_VIEW, config, verifierConsumerGroup(config.options.instanceId)),
        VerificationService,
      ],
      exports: [VerificationService],
    };
  }
}
