import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@aegis/service-kit';
import { Counter, Histogram, type Registry } from 'prom-client';

/** The gateway's own Prometheus series, on the service's registry (served on /metrics). */
@Injectable()
export class GatewayMetrics {
  /** Requests by route, HTTP status and whether they streamed. */
  readonly requests: Counter<'route' | 'status' | 'stream'>;
  /** Until the last byte: for a verified answer, submit + generation + the tally window. */
  readonly seconds: Histogram<'route' | 'stream'>;
  /** Streams: until the first content (the result SUBMITTED, before verification). */
  readonly firstTokenSeconds: Histogram;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    const buckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128];
    this.requests = new Counter({
      name: 'aegis_gateway_requests_total',
      help: 'HTTP API requests by route, status and stream',
      labelNames: ['route', 'status', 'stream'],
      registers,
    });
    this.seconds = new Histogram({
      name: 'aegis_gateway_request_seconds',
      help: 'HTTP API request duration',
      labelNames: ['route', 'stream'],
      buckets,
      registers,
    });
    this.firstTokenSeconds = new Histogram({
      name: 'aegis_gateway_first_token_seconds',
      help: 'Streamed requests: time to the first content chunk',
      buckets,
      registers,
    });
  }
}
