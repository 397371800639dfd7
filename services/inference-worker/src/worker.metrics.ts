import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@aegis/service-kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The worker's own Prometheus series, registered on the service's registry (served on /metrics). */
@Injectable()
export class WorkerMetrics {
  /** Results published, by behaviour and node. */
  readonly tasksGenerated: Counter<'behavior'>;
  /** Tasks answered FAILED (the model cannot run them). */
  readonly tasksFailed: Counter;
  /** Wall time of one generation (ASLI generation plus any tampering), seconds. */
  readonly generationSeconds: Histogram;
  /** Output tokens generated. */
  readonly tokensGenerated: Counter;
  /** 1 while this process is a member of the task consumer group, 0 while it stepped out (no active key). */
  readonly consuming: Gauge;
  /** Node keys of this process that the stake view sees as active. */
  readonly activeKeys: Gauge;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.tasksGenerated = new Counter({
      name: 'aegis_worker_tasks_generated_total',
      help: 'Results published',
      labelNames: ['behavior'],
      registers,
    });
    this.tasksFailed = new Counter({
      name: 'aegis_worker_tasks_failed_total',
      help: 'Tasks answered FAILED (model cannot run them)',
      registers,
    });
    this.generationSeconds = new Histogram({
      name: 'aegis_worker_generation_seconds',
      help: 'Time to generate one result',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.tokensGenerated = new Counter({ name: 'aegis_worker_generated_tokens_total', help: 'Output tokens generated', registers });
    this.consuming = new Gauge({ name: 'aegis_worker_consuming', help: '1 while in the task consumer group', registers });
    this.activeKeys = new Gauge({ name: 'aegis_worker_active_keys', help: 'Node keys of this process that are active', registers });
  }
}
