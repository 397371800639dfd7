// The PoW checker as a composable unit for the devnet and tests.
export { PowCheckerModule, type PowCheckerModuleOptions } from './pow-checker.module';
export { PowCheckService, type CheckResult, sampled } from './checking/pow-check.service';
export { SubmissionCache } from './checking/submission.cache';
export type { PowCheckerOptions } from './pow-checker.options';
