// The verifier as a package: its factory, and the port a verdict maker plugs into.
export { start, type VerifierLaunch } from './start';
export {
  TeacherForcedVerdicts,
  type MadeVerdict,
  type VerdictMaker,
  type VerdictMakerFactory,
  type VerificationWork,
} from './verification/verdict.maker';
export { verifierEnvSchema } from './verifier.env';
