export { ConsensusError, ConsensusErrorCode, isRetryable } from './consensus.errors';
export { countInstances, ruleHolds, tally, type TallyInput, type TallyOutcome, type TallyResult, type TallyVote } from './tally/tally.rule';
export type {
  AuditFailure,
  ConsensusConfig,
  FailedAudit,
  Decision,
  EpochMs,
  LedgerEffect,
  NoticeEffect,
  RecordedVerdict,
  SubmissionEffect,
  SubmissionEvent,
  SubmissionPhase,
  SubmissionState,
  TransitionResult,
} from './submission/submission.types';
export { isLedgerEffect } from './submission/submission.types';
export { auditDisputeId } from './submission/audit.dispute';
export { DEFAULT_MAX_EXTENSIONS, transition, validateConsensusConfig } from './submission/submission.machine';
export { DEFAULT_TALLY_RULE, stakeRuleHolds, TALLY_RULES, tallyByStake, type StakeTallyInput, type TallyRule } from './tally/stake.tally';
export { expectedCommitteeSize, isEligible, lotteryTicket, selectVerifiers, type StakedNode } from './lottery/verifier.lottery';
export {
  assertBeaconChain,
  assertBeaconLink,
  BeaconChain,
  beaconOf,
  genesisBeacon,
  linkSigningDigest,
  MAX_SEAL_SPAN,
  nextBeacon,
  signsItself,
  verifyBeaconLink,
  type BeaconHead,
  type BeaconLink,
  type PendingLink,
} from './beacon/beacon.chain';
export { type AnnouncedBeacon, verifyAnnouncedBeacon } from './beacon/announced.beacon';
export { type CommitteeDraw, DEFAULT_MAX_REDRAWS, drawCommittee, type DrawnLink } from './lottery/committee.draw';
export {
  committeeSizeFor,
  DEFAULT_COMMITTEE_SIZE,
  DEFAULT_DESIGN_ATTACKER_SHARE,
  DEFAULT_UNDISPUTED_BOUND,
  noHonestMemberBound,
} from './lottery/committee.size';
