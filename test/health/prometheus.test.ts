import { describe, expect, it } from 'vitest';
import { Histogram, renderPrometheus } from '../../src/health/prometheus.ts';
import { parseListenAddress } from '../../src/config/listen-address.ts';

describe('renderPrometheus', () => {
  it('writes HELP, TYPE and samples, with label values escaped', () => {
    expect(renderPrometheus([
      { name: 'x_requests', help: 'Requests by state.', type: 'gauge', samples: [{ labels: { state: 'sent' }, value: 3 }, { labels: { state: 'a"b\\c\nd' }, value: 0 }] },
      { name: 'x_total', help: 'A counter\nover two lines.', type: 'counter', samples: [{ value: 7 }] },
    ])).toBe([
      '# HELP x_requests Requests by state.',
      '# TYPE x_requests gauge',
      'x_requests{state="sent"} 3',
      'x_requests{state="a\\"b\\\\c\\nd"} 0',
      '# HELP x_total A counter\\nover two lines.',
      '# TYPE x_total counter',
      'x_total 7',
      '',
    ].join('\n'));
  });

  it('writes a histogram as cumulative buckets, +Inf, _sum and _count', () => {
    const h = new Histogram([1, 10]);
    for (const v of [0.5, 1, 5, 50]) h.observe(v);
    expect(renderPrometheus([{ name: 'x_seconds', help: 'Durations.', type: 'histogram', buckets: h.buckets, series: [{ labels: { stage: 'submit' }, counts: h.counts, sum: h.sum, count: h.count }] }]))
      .toBe([
        '# HELP x_seconds Durations.',
        '# TYPE x_seconds histogram',
        'x_seconds_bucket{stage="submit",le="1"} 2',
        'x_seconds_bucket{stage="submit",le="10"} 3',
        'x_seconds_bucket{stage="submit",le="+Inf"} 4',
        'x_seconds_sum{stage="submit"} 56.5',
        'x_seconds_count{stage="submit"} 4',
        '',
      ].join('\n'));
  });
});

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
    ['localhost:0', { host: '127.0.0.1', port: 0 }],
    ['0.0.0.0:9464', { problem: expect.stringMatching(/^0\.0\.0\.0 is not a loopback address/) }],
    ['10.1.2.3:80', { problem: expect.stringMatching(/^10\.1\.2\.3 is not a loopback address/) }],
    ['127.0.0.1', { problem: '"127.0.0.1" is not HOST:PORT (e.g. 127.0.0.1:9464)' }],
    ['127.0.0.1:70000', { problem: '"127.0.0.1:70000" is not HOST:PORT (e.g. 127.0.0.1:9464)' }],
  ])('%s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });
});
