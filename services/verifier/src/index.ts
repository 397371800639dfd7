// The verifier as a composable unit for the devnet and tests.
export { VerifierModule, type VerifierModuleOptions, verifierConsumerGroup } from './verifier.module';
export { VerificationService } from './verification/verification.service';
export type { VerifierOptions, VerifierBehavior } from './verifier.options';
