import { describe, expect, it } from 'vitest';
import { sumOfSeries } from './metrics.scrape';

describe('sumOfSeries', () => {
  it('adds every labelled series of one name and nothing of the others', () => {
    const text = [
      '# HELP aegis_tallier_results_total Results by outcome',
      '# TYPE aegis_tallier_results_total counter',
      'aegis_tallier_results_total{outcome="recorded"} 12',
      'aegis_tallier_results_total{outcome="duplicate"} 3',
      'aegis_tallier_results_total_extra 100',
      'aegis_tallier_beacon_signatures_total 4',
      '',
    ].join('\n');
    expect(sumOfSeries(text, 'aegis_tallier_results_total')).toBe(15);
    expect(sumOfSeries(text, 'aegis_tallier_beacon_signatures_total')).toBe(4);
    expect(sumOfSeries(text, 'aegis_missing')).toBe(0);
  });
});
