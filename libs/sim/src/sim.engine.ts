import {
  BeaconChain,
  type BeaconLink,
  type ConsensusConfig,
  isLedgerEffect,
  type LedgerEffect,
  drawCommittee,
  MAX_SEAL_SPAN,
  type StakedNode,
  type SubmissionEffect,
  type SubmissionEvent,
  type SubmissionState,
  transition,
} from '@aegis/consensus';
import { accountId, InMemoryLedger, type LedgerCommand, type Posting } from '@aegis/ledger/core';
import { concatBytes, keccak256, NodeKey, toHex, utf8, VerdictKind } from '@aegis/protocol';
import { EventQueue } from './event.queue';
import { type AttackPhase, computesVerdict, type SimNode, submitsWrong, verdictOf } from './sim.behaviour';
import { baseStrategy, type SimOptions, splitsStake, validateSimOptions } from './sim.options';
import { SimRng } from './sim.rng';
import { SealedRunVerifier } from './sealed.runs';

/** Where the money lives in a run: stated in every result so nobody mistakes it for Postgres. */
export const SIM_LEDGER = 'InMemoryLedger: the in-memory twin of the Postgres ledger, applying the same planTransition rules';

export interface SimResult {
  readonly strategy: SimOptions['strategy'];
  /** Addresses (a sybil operator counts once per address). */
  readonly nodes: number;
  readonly operators: number;
  readonly tasks: number;
  /** Cheater addresses. */
  readonly cheaters: number;
  /** Cheater addresses liquidated at least once (for lazy verifiers: they vouched for a wrong result that lost). */
  readonly cheatersLiquidated: number;
  /** Cheater addresses that actually misbehaved: submitted a wrong result or gave an untruthful verdict. */
  readonly cheatersActed: number;
  /** Of those, how many were liquidated. */
  readonly cheatersActedLiquidated: number;
  /** Honest addresses liquidated at least once. */
  readonly honestSlashed: number;
  /** Submissions still undecided when the run ended (after maxExtensions extensions). */
  readonly undecided: number;
  readonly stakeConserved: boolean;
  /**
   * The attacker's net gain over the run, base units of stake: what its addresses hold at the end
   * (free, staked, unbonding) minus what they staked at the start, i.e. fees and dispute rewards
   * earned minus stake liquidated. Negative: cheating lost money.
   */
  readonly attackerProfit: bigint;
  /** What honest addresses gained the same way, for comparison (fees and rewards; honest stake lost shows here too). */
  readonly honestProfit: bigint;
  /** Attacker stake at the start, base units (attackerProfit / attackerStake is the return on it). */
  readonly attackerStake: bigint;
  /** Base units paid to verifiers: their fee shares plus their dispute pool shares. */
  readonly verifierRewards: bigint;
  readonly cheaterStakeShare: number;
  readonly cheaterAddressShare: number;
  readonly wrongSubmitted: number;
  /** Wrong results decided as accepted: the attack's success. */
  readonly wrongFinalized: number;
  /** Of those, how many were never disputed: every verifier that answered vouched for them (no honest member answered). */
  readonly wrongFinalizedUndisputed: number;
  /** Correct results decided as rejected. */
  readonly honestRejected: number;
  readonly disputes: number;
  readonly fastAccepted: number;
  /** Verdicts given without running the model (lazy attackers). */
  readonly uncomputedVerdicts: number;
  /** Of those, how many the PoW checker audited (verifier liquidated at once). */
  readonly auditCaught: number;
  /** Submissions for which the lottery drew no verifier at all. */
  readonly unverified: number;
  /** Tasks not assigned because no node was active. */
  readonly skippedTasks: number;
  readonly minted: bigint;
  readonly ledger: string;
  readonly seed: string;
  readonly elapsedMs: number;
}

type SimEvent =
  | { readonly kind: 'task'; readonly index: number }
  | { readonly kind: 'verdict'; readonly submissionId: string; readonly verifier: SimNode }
  | { readonly kind: 'close'; readonly submissionId: string };

interface Tracked {
  state: SubmissionState;
  readonly wrong: boolean;
  readonly submitter: SimNode;
  /** What the attackers do on this submission (adaptive: whether it came after the strike). */
  readonly phase: AttackPhase;
  /** Nodes already scheduled to vote, so a dispute fan-out never double-books a selected verifier. */
  readonly scheduled: Set<string>;
}

const T0 = Date.UTC(2025, 0, 1);
const UNBONDING_SECONDS = 7 * 24 * 3600;

/**
 * A Monte Carlo of the whole protocol with the real consensus code (lottery on a signed beacon
 * chain, the submission state machine, the tally) and the ledger's in-memory twin. Time is a
 * simulated clock driving an event queue; a run is a pure function of its options and seed.
 */
export function runSimulation(input: Partial<SimOptions>, onProgress?: (line: string) => void): SimResult {
  const started = performance.now();
  const o = validateSimOptions(input);
  const rng = new SimRng(o.seed);
  const config: ConsensusConfig = {
    windowMs: o.windowSeconds * 1000,
    submitterShareBps: o.submitterShareBps,
    tally: o.tally,
    maxExtensions: o.maxExtensions,
  };
  const ledger = new InMemoryLedger({ minStake: o.minStake, unbondingSeconds: UNBONDING_SECONDS });
  const at = (ms: number): Date => new Date(ms);

  // Operators, their cheater flags and stakes; sybil cheaters split into min-stake addresses.
  const base = baseStrategy(o.strategy);
  const strikeIndex = base === 'adaptive' ? Math.ceil(o.strikeAt * o.tasks) : 0;
  const cheaterOps = new Set(rng.shuffle([...Array(o.nodes).keys()]).slice(0, Math.round(o.cheaters * o.nodes)));
  const nodes: SimNode[] = [];
  const initialStake = new Map<string, bigint>();
  let cheaterStake = 0n;
  let totalStake = 0n;
  for (let op = 0; op < o.nodes; op++) {
    const cheater = cheaterOps.has(op);
    const multiple = rng.between(1, o.maxStakeMultiple);
    const stakes = cheater && splitsStake(o.strategy) ? Array<bigint>(multiple).fill(o.minStake) : [o.minStake * BigInt(multiple)];
    stakes.forEach((stake, j) => {
      const node: SimNode = { address: deriveAddress(o.seed, `node/${op}/${j}`), cheater, operator: op };
      nodes.push(node);
      ledger.applySync({ kind: 'deposit', key: `deposit/${node.address}`, address: node.address, amount: stake }, at(T0));
      ledger.applySync({ kind: 'stake', key: `stake/${node.address}`, address: node.address, amount: stake }, at(T0));
      totalStake += stake;
      initialStake.set(node.address, stake);
      if (cheater) cheaterStake += stake;
    });
  }
  const byAddress = new Map(nodes.map((n) => [n.address, n]));
  const client = deriveAddress(o.seed, 'client');
  ledger.applySync({ kind: 'deposit', key: 'deposit/client', address: client, amount: o.fee * BigInt(o.tasks) }, at(T0));

  const control = NodeKey.fromHex(toHex(keccak256(utf8(`aegis/sim/${o.seed}/control`))));
  const beacons = BeaconChain.fromGenesis(control, `sim/${o.seed}`);
  // As the tallier does: links are extended (values final at once, the lottery draws on them) and
  // sealed in runs of MAX_SEAL_SPAN, one signature per run; every sealed run is checked as a
  // verifier would check it. Same link values as one signature per link, a fraction of the cost.
  const sealedRuns = new SealedRunVerifier(control.address, beacons.head);
  let unsealed = 0;
  const sealRuns = (): void => {
    const links: BeaconLink[] = beacons.seal();
    sealedRuns.check(links);
    unsealed = 0;
  };

  const queue = new EventQueue<SimEvent>();
  for (let i = 0; i < o.tasks; i++) queue.push(T0 + (i + 1) * o.taskIntervalSeconds * 1000, { kind: 'task', index: i });

  const subs = new Map<string, Tracked>();
  const liquidated = new Set<string>();
  const acted = new Set<string>();
  const counters = {
    wrongSubmitted: 0,
    disputes: 0,
    fastAccepted: 0,
    unverified: 0,
    skippedTasks: 0,
    uncomputedVerdicts: 0,
    auditCaught: 0,
  };
  let verifierRewards = 0n;
  const halfWindow = Math.max(1, Math.floor(config.windowMs / 2));

  // Stakes change only by liquidation here, so the active set is cached until the next one.
  let activeCache: string[] | undefined;
  let activeStakeCache: bigint | undefined;
  const activeNodes = (): string[] => (activeCache ??= ledger.activeNodesSync());
  const activeStake = (): bigint =>
    (activeStakeCache ??= activeNodes().reduce((sum, a) => sum + ledger.balanceSync(accountId.stake(a)), 0n));

  const fanOut = (tracked: Tracked, now: number): void => {
    for (const address of activeNodes()) {
      const node = byAddress.get(address);
      if (!node || address === tracked.submitter.address || tracked.scheduled.has(address)) continue;
      tracked.scheduled.add(address);
      queue.push(now + rng.between(1, halfWindow), { kind: 'verdict', submissionId: tracked.state.submissionId, verifier: node });
    }
  };

  const apply = (effects: readonly SubmissionEffect[], now: number, tracked: Tracked): void => {
    for (const e of effects) {
      if (isLedgerEffect(e)) {
        const { entries } = ledger.applySync(toLedgerCommand(e), at(now));
        if (e.kind === 'liquidate') {
          liquidated.add(e.address);
          activeCache = undefined;
          activeStakeCache = undefined;
        }
        if (e.kind === 'payout-fee' || e.kind === 'distribute-pool') {
          verifierRewards += creditsTo(entries, e.kind === 'payout-fee' ? e.verifiers : e.winners, tracked.submitter.address);
        }
        continue;
      }
      switch (e.kind) {
        case 'announce-dispute':
          counters.disputes++;
          // Every active node may verify a dispute: the fan-out the simulator models as "all of them do".
          fanOut(tracked, now);
          break;
        case 'fast-accepted':
          counters.fastAccepted++;
          break;
        case 'window-extended':
          // The committee widens to every active key (those that became active since included),
          // after an undecided tally or a silent committee (a withholding one: nobody answered);
          // the machine decides by the larger side after maxExtensions, so this always ends.
          fanOut(tracked, now);
          queue.push(e.closesAt, { kind: 'close', submissionId: e.submissionId });
          break;
        case 'decided':
          break;
        default: {
          const unreachable: never = e;
          throw new Error(`unhandled effect ${JSON.stringify(unreachable)}`);
        }
      }
    }
  };

  // The stake view at the close: the submitter's and every voter's stake, and the active total.
  const closeEvent = (state: SubmissionState): SubmissionEvent => {
    const active = activeNodes();
    const stakes = new Map<string, bigint>([[state.submitter, ledger.balanceSync(accountId.stake(state.submitter))]]);
    for (const v of state.verdicts) stakes.set(v.verifier, ledger.balanceSync(accountId.stake(v.verifier)));
    return { kind: 'window-closed', submissionId: state.submissionId, activeNodes: active.length, activeStake: activeStake(), stakes };
  };

  const step = (tracked: Tracked, event: SubmissionEvent, now: number): void => {
    const r = transition(tracked.state, event, now, config);
    tracked.state = r.state;
    apply(r.effects, now, tracked);
  };

  let tasksDone = 0;
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    const { at: now, item } = next;
    if (item.kind === 'task') {
      tasksDone++;
      if (onProgress && tasksDone % Math.max(1, Math.floor(o.tasks / 10)) === 0) onProgress(`simulate: ${tasksDone}/${o.tasks} tasks`);
      const active = activeNodes();
      const submitterAddress = active[rng.int(active.length)];
      const submitter = submitterAddress === undefined ? undefined : byAddress.get(submitterAddress);
      if (!submitter) {
        counters.skippedTasks++;
        continue;
      }
      const id = `s${item.index}`;
      const phase: AttackPhase = { strategy: base, striking: item.index >= strikeIndex };
      const wrong = submitsWrong(submitter, o.rate, rng, phase);
      if (wrong) {
        counters.wrongSubmitted++;
        acted.add(submitter.address);
      }
      ledger.applySync({ kind: 'escrow-fee', key: `escrow/${id}`, taskId: id, client, amount: o.fee }, at(now));

      // The beacon is issued after the submission is recorded, and checked as any verifier would.
      // As the tallier does: redraw (another link for the same digest) while nobody is eligible.
      const snapshot: StakedNode[] = active.map((address) => ({ address, stake: ledger.balanceSync(accountId.stake(address)) }));
      const digest = keccak256(concatBytes(utf8(id), utf8(submitter.address), Uint8Array.of(wrong ? 1 : 0)));
      const { committee: selected, links } = drawCommittee((d) => beacons.extend(d), digest, submitter.address, snapshot, o.k);
      unsealed += links.length;
      if (unsealed >= MAX_SEAL_SPAN) sealRuns();
      if (selected.length === 0) counters.unverified++;

      const tracked: Tracked = {
        state: transition(
          undefined,
          { kind: 'submitted', submissionId: id, taskId: id, submitter: submitter.address, fee: o.fee, selectedVerifiers: selected },
          now,
          config,
        ).state,
        wrong,
        submitter,
        phase,
        scheduled: new Set(selected),
      };
      subs.set(id, tracked);
      for (const address of selected) {
        const verifier = byAddress.get(address);
        if (verifier) queue.push(now + rng.between(1, halfWindow), { kind: 'verdict', submissionId: id, verifier });
      }
      queue.push(tracked.state.closesAt, { kind: 'close', submissionId: id });
      continue;
    }

    const tracked = subs.get(item.submissionId);
    if (!tracked) throw new Error(`simulator bug: no submission ${item.submissionId}`);
    if (item.kind === 'verdict') {
      // A node liquidated since it was drawn has nothing at stake: the PoW checker drops its verdict.
      if (!ledger.isActiveSync(item.verifier.address)) continue;
      const kind = verdictOf(
        item.verifier,
        { wrong: tracked.wrong, submitterCheater: tracked.submitter.cheater },
        tracked.phase,
        o.catchRate,
        rng,
      );
      // Silence (a withholding attacker) is no verdict: it cannot be proven, forgoes the fee, and
      // its only effect is on the tally (undecided counts it); it is not counted as acting.
      if (kind === null) continue;
      if (!computesVerdict(item.verifier, tracked.phase)) {
        // A verdict never computed: the PoW checker audits it with the audit share, and always in a
        // dispute or a widened call; its invented values fail, and the machine liquidates at once.
        // (The coin is drawn only here, so strategies without lazy verdicts draw the same numbers.)
        counters.uncomputedVerdicts++;
        acted.add(item.verifier.address);
        const state = tracked.state;
        if (state.disputeOpen || state.widened || rng.chance(o.auditShare)) {
          counters.auditCaught++;
          step(
            tracked,
            { kind: 'verdict-failed', submissionId: item.submissionId, verifier: item.verifier.address, failure: 'audit-failed' },
            now,
          );
          continue;
        }
      }
      if (item.verifier.cheater && kind !== (tracked.wrong ? VerdictKind.REJECT : VerdictKind.ACCEPT)) acted.add(item.verifier.address);
      step(tracked, { kind: 'verdict', submissionId: item.submissionId, verifier: item.verifier.address, verdict: kind }, now);
    } else if (tracked.state.phase !== 'decided' && now < tracked.state.closesAt) {
      // A dispute pushed the close time back: re-arm the timer, as the tallier's scheduler does.
      queue.push(tracked.state.closesAt, item);
    } else {
      step(tracked, closeEvent(tracked.state), now);
    }
  }

  sealRuns();

  let wrongFinalized = 0;
  let wrongFinalizedUndisputed = 0;
  let honestRejected = 0;
  let undecided = 0;
  for (const t of subs.values()) {
    const outcome = t.state.decision?.outcome;
    if (outcome === undefined) undecided++;
    else if (outcome === 'accepted' && t.wrong) {
      wrongFinalized++;
      if (!t.state.disputeOpen) wrongFinalizedUndisputed++;
    } else if (outcome === 'rejected' && !t.wrong) honestRejected++;
  }
  const invariant = ledger.checkInvariantSync();
  const cheaters = nodes.filter((n) => n.cheater);
  const holdings = (n: SimNode): bigint =>
    ledger.balanceSync(accountId.free(n.address)) +
    ledger.balanceSync(accountId.stake(n.address)) +
    ledger.balanceSync(accountId.unbonding(n.address));
  const profitOf = (group: readonly SimNode[]): bigint =>
    group.reduce((sum, n) => sum + holdings(n) - (initialStake.get(n.address) ?? 0n), 0n);
  return {
    strategy: o.strategy,
    nodes: nodes.length,
    operators: o.nodes,
    tasks: o.tasks,
    cheaters: cheaters.length,
    cheatersLiquidated: cheaters.filter((n) => liquidated.has(n.address)).length,
    cheatersActed: cheaters.filter((n) => acted.has(n.address)).length,
    cheatersActedLiquidated: cheaters.filter((n) => acted.has(n.address) && liquidated.has(n.address)).length,
    honestSlashed: nodes.filter((n) => !n.cheater && liquidated.has(n.address)).length,
    undecided,
    stakeConserved: invariant.ok && invariant.sum === invariant.minted,
    attackerProfit: profitOf(cheaters),
    honestProfit: profitOf(nodes.filter((n) => !n.cheater)),
    attackerStake: cheaterStake,
    verifierRewards,
    cheaterStakeShare: ratio(cheaterStake, totalStake),
    cheaterAddressShare: cheaters.length / nodes.length,
    wrongSubmitted: counters.wrongSubmitted,
    wrongFinalized,
    wrongFinalizedUndisputed,
    honestRejected,
    disputes: counters.disputes,
    fastAccepted: counters.fastAccepted,
    uncomputedVerdicts: counters.uncomputedVerdicts,
    auditCaught: counters.auditCaught,
    unverified: counters.unverified,
    skippedTasks: counters.skippedTasks,
    minted: invariant.minted,
    ledger: SIM_LEDGER,
    seed: o.seed,
    elapsedMs: Math.round(performance.now() - started),
  };
}

function toLedgerCommand(e: LedgerEffect): LedgerCommand {
  switch (e.kind) {
    case 'open-dispute':
      return { kind: e.kind, key: e.key, disputeId: e.disputeId, accused: e.accused };
    case 'join-dispute':
    case 'liquidate':
      return { kind: e.kind, key: e.key, disputeId: e.disputeId, address: e.address };
    case 'distribute-pool':
      return { kind: e.kind, key: e.key, disputeId: e.disputeId, winners: [...e.winners] };
    case 'payout-fee':
      return {
        kind: e.kind,
        key: e.key,
        taskId: e.taskId,
        submitter: e.submitter,
        verifiers: [...e.verifiers],
        submitterShareBps: e.submitterShareBps,
      };
    default: {
      const unreachable: never = e;
      return unreachable;
    }
  }
}

/** What `entries` credited to the free balances of `recipients`, the submitter excluded. */
function creditsTo(entries: readonly Posting[], recipients: readonly string[], submitter: string): bigint {
  const accounts = new Set(recipients.filter((r) => r !== submitter).map((r) => accountId.free(r)));
  return entries.reduce((sum, p) => (p.amount > 0n && accounts.has(p.account) ? sum + p.amount : sum), 0n);
}

function deriveAddress(seed: string, label: string): string {
  return toHex(keccak256(utf8(`aegis/sim/${seed}/${label}`)).subarray(12));
}

function ratio(a: bigint, b: bigint): number {
  return b === 0n ? 0 : Number((a * 1_000_000n) / b) / 1_000_000;
}
