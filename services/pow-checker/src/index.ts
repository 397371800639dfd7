export { start } from './start';
export { checkerEnvSchema } from './pow-checker.env';
// The PoW checker as a composable unit for the devnet and tests.
export { PowCheckerModule, type PowCheckerModuleOptions } from './pow-checker.module';
export { PowCheckService, type CheckResult } from './checking/pow-check.service';
export { AuditSampler, parseAuditSecret } from './checking/audit.sampler';
export type { SubmissionLookup } from './checking/submission.lookup';
export { SubmissionCache } from './checking/submission.cache';
export type { PowCheckerOptions } from './pow-checker.options';
export { TallierSubmissionLookup } from './checking/tallier-submission.lookup';
export { PowCheckerMetrics } from './pow-checker.metrics';
