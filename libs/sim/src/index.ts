export {
  BASE_STRATEGIES,
  baseStrategy,
  DEFAULT_SIM_OPTIONS,
  SIM_STRATEGIES,
  splitsStake,
  SimOptionError,
  type SimOptions,
  type SimStrategy,
  validateSimOptions,
} from './sim.options';
export { runSimulation, SIM_LEDGER, type SimResult } from './sim.engine';
export {
  renderSweepMarkdown,
  renderSweepSvg,
  runSweep,
  SWEEP_SHARES,
  type SweepData,
  type SweepPoint,
  sweepPoint,
  type SweepRow,
} from './sim.sweep';
export { GOAL_SHARE, renderSweepSummary, summarise, type SweepSummaryRow } from './sim.summary';
