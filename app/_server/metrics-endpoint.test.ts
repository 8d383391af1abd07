import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isMetricsRequest } from './metrics-endpoint';

const req = (url: string, headers: Record<string, string> = {}, method = 'GET') =>
  ({ url, method, headers }) as unknown as IncomingMessage;

describe('isMetricsRequest', () => {
  it('serves scrapers the exposition text at /metrics', () => {
    expect(isMetricsRequest(req('/metrics'))).toBe(true);
    expect(isMetricsRequest(req('/metrics', { accept: '*/*' }))).toBe(true);
    expect(
      isMetricsRequest(
        req('/metrics?x=1', {
          accept:
            'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1',
        }),
      ),
    ).toBe(true);
    expect(isMetricsRequest(req('/metrics', {}, 'HEAD'))).toBe(true);
  });

  it('leaves the Metrics page to Next: browser pages and router payloads', () => {
    const html = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    expect(isMetricsRequest(req('/metrics', { accept: html }))).toBe(false);
    expect(isMetricsRequest(req('/metrics?saved=k', { accept: html }))).toBe(false);
    expect(isMetricsRequest(req('/metrics', { rsc: '1', accept: '*/*' }))).toBe(false);
    expect(isMetricsRequest(req('/metrics?_rsc=abc12'))).toBe(false);
  });

  it('is only GET or HEAD of /metrics itself', () => {
    expect(isMetricsRequest(req('/metrics', {}, 'POST'))).toBe(false);
    expect(isMetricsRequest(req('/metrics/new'))).toBe(false);
    expect(isMetricsRequest(req('/metricsx'))).toBe(false);
  });
});
