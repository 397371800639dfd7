import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@aegis/service-kit';
import { Counter, type Registry } from 'prom-client';

/** The PoW checker's own Prometheus series, on the service's registry (served on /metrics). */
@Injectable()
export class PowCheckerMetrics {
  /** Checked verdicts published, by outcome (passed, not-eligible, pow-failed, audit-failed). */
  readonly verdicts: Counter<'outcome'>;
  /** Verdicts whose PoW values were audited against a recomputation, by whether they were in a dispute. */
  readonly audits: Counter<'dispute'>;
  /** Cache misses answered by the tallier's SubmissionQuery, by whether it knew the submission. */
  readonly lookups: Counter<'found'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.verdicts = new Counter({
      name: 'aegis_pow_checker_verdicts_total',
      help: 'Checked verdicts by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.audits = new Counter({
      name: 'aegis_pow_checker_audits_total',
      help: 'Verdicts audited by recomputation',
      labelNames: ['dispute'],
      registers,
    });
    this.lookups = new Counter({
      name: 'aegis_pow_checker_submission_lookups_total',
      help: 'SubmissionQuery lookups on a cache miss',
      labelNames: ['found'],
      registers,
    });
  }
}
