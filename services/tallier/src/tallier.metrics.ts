import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@aegis/service-kit';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Outcomes of an incoming result. */
export type ResultOutcome = 'recorded' | 'duplicate' | 'refused';

/** The tallier's own Prometheus series, on the service's registry (served on /metrics). */
@Injectable()
export class TallierMetrics {
  /** Results by what became of them: recorded as THE submission, duplicate, refused (inactive submitter). */
  readonly results: Counter<'outcome'>;
  /** Submissions recorded (a beacon issued and the Submission announced). */
  readonly submissions: Counter;
  /** Decisions by outcome: fast-accepted (optimistic), accepted, rejected. */
  readonly decisions: Counter<'outcome'>;
  /** Liquidate commands issued (submitters and verifiers). */
  readonly liquidations: Counter;
  /** Checked verdicts by what the tallier did with them: counted, punished, ignored. */
  readonly verdicts: Counter<'outcome'>;
  /** Results per recording transaction (those that arrived while the previous batch was recorded). */
  readonly resultBatch: Histogram;
  /** Control-plane signatures over beacon links: one per sealed run of links, not one per link. */
  readonly beaconSignatures: Counter;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.results = new Counter({ name: 'aegis_tallier_results_total', help: 'Results by outcome', labelNames: ['outcome'], registers });
    this.submissions = new Counter({ name: 'aegis_tallier_submissions_total', help: 'Submissions recorded', registers });
    this.decisions = new Counter({
      name: 'aegis_tallier_decisions_total',
      help: 'Submission decisions by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.liquidations = new Counter({ name: 'aegis_tallier_liquidations_total', help: 'Liquidate commands issued', registers });
    this.verdicts = new Counter({
      name: 'aegis_tallier_verdicts_total',
      help: 'Checked verdicts by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.resultBatch = new Histogram({
      name: 'aegis_tallier_result_batch_size',
      help: 'Results recorded per transaction (one beacon-head lock each)',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    });
    this.beaconSignatures = new Counter({
      name: 'aegis_tallier_beacon_signatures_total',
      help: 'Beacon link signatures made (one per sealed run of links)',
      registers,
    });
  }
}
