import { describe, expect, it } from 'vitest';
import type { AnomalySummary } from '@/lib/views';
import { checkSilence, EMPTY_SILENCE, incidentSilenceValues } from './silence-form';

const NOW = Date.UTC(2026, 0, 15, 12);
const HOUR = 3_600_000;

const anomaly = (metricKey: string, status: AnomalySummary['status'] = 'open') =>
  ({ id: metricKey.length, metricKey, status }) as AnomalySummary;

describe('incidentSilenceValues', () => {
  it('prefills its metrics and its shared cause, and leaves why and how long to the person', () => {
    const values = incidentSilenceValues({
      cause: { region: 'eu-west', device: 'ios' },
      anomalies: [anomaly('purchases'), anomaly('revenue'), anomaly('purchases')],
    });
    expect(values).toEqual({
      ...EMPTY_SILENCE,
      metrics: 'purchases, revenue',
      cause: 'region=eu-west, device=ios',
    });
  });

  it('judges metrics as silences do: withdrawn anomalies left out, unless all were withdrawn', () => {
    expect(
      incidentSilenceValues({
        cause: null,
        anomalies: [anomaly('purchases', 'withdrawn'), anomaly('revenue', 'resolved')],
      }),
    ).toMatchObject({ metrics: 'revenue', cause: '' });
    expect(
      incidentSilenceValues({ cause: null, anomalies: [anomaly('purchases', 'withdrawn')] }),
    ).toMatchObject({ metrics: 'purchases' });
  });

  it('leaves out what the text cannot say exactly', () => {
    // A value with a comma would come back as two pairs; control characters are refused.
    expect(
      incidentSilenceValues({ cause: { city: 'Paris, FR' }, anomalies: [anomaly('revenue')] }),
    ).toMatchObject({ metrics: 'revenue', cause: '' });
    expect(
      incidentSilenceValues({ cause: { region: 'eu\u202ewest' }, anomalies: [] }),
    ).toMatchObject({ metrics: '', cause: '' });
  });
});

describe('checkSilence', () => {
  const prefilled = incidentSilenceValues({
    cause: { region: 'eu-west' },
    anomalies: [anomaly('purchases'), anomaly('revenue')],
  });

  it('sends the matchers, why, the end and the incident it came from', () => {
    const checked = checkSilence(
      { ...prefilled, comment: '  failover drill ', duration: '4h' },
      NOW,
      7,
    );
    expect(checked.errors).toEqual({});
    expect(checked.value).toEqual({
      matchers: { metrics: ['purchases', 'revenue'], cause: { region: 'eu-west' } },
      comment: 'failover drill',
      endsAt: new Date(NOW + 4 * HOUR).toISOString(),
      incidentId: 7,
    });
    // From the settings page: no incident.
    expect(checkSilence({ ...prefilled, comment: 'drill' }, NOW).value).not.toHaveProperty(
      'incidentId',
    );
  });

  it('adds a severity when one is chosen', () => {
    const checked = checkSilence(
      { ...prefilled, metrics: '', cause: '', severity: 'warn', comment: 'noisy' },
      NOW,
    );
    expect(checked.value?.matchers).toEqual({ severity: ['warn'] });
  });

  it('asks for why, a matcher, and an end in the future', () => {
    expect(checkSilence(prefilled, NOW).errors).toEqual({ comment: expect.any(String) });
    expect(checkSilence({ ...EMPTY_SILENCE, comment: 'x' }, NOW).errors.matchers).toBe(
      'expected at least one matcher (metrics, severity or cause)',
    );
    const past = checkSilence(
      { ...prefilled, comment: 'x', duration: 'until', until: '2020-01-01T10:00' },
      NOW,
    );
    expect(past.errors.endsAt).toBe('expected an end in the future, after the start');
    expect(past.value).toBeNull();
    expect(
      checkSilence({ ...prefilled, comment: 'x', duration: 'until', until: '' }, NOW).errors.endsAt,
    ).toBe('expected a date and time');
    expect(
      checkSilence({ ...prefilled, cause: 'region', comment: 'x' }, NOW).errors['matchers.cause'],
    ).toMatch(/^expected dimension=value pairs/);
  });
});
