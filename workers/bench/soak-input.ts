/**
 * What `npm run soak` sends over HTTP besides the simulator's stream: it signs in as admin,
 * creates an API key, then posts a batch to POST /api/ingest every interval, valid events of
 * the simulator's types with every kind of bad input (the batches), and tallies what each
 * answer says it took against what the event contract predicts: the totals the accounting
 * compares with the database, and the notes of the report.
 */
import { parseEventLine } from '@/lib/ingest/events';
import { EVENT_TYPES } from '@/lib/simulator/model';
import { HTTP_SOURCE } from '@/app/_server/http-ingest';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const n = (x: number) => x.toLocaleString('en-US');

// ── bad input over HTTP ──────────────────────────────────────────────────────────────────────

/**
 * Signs in as admin, creates an API key, then posts a batch every interval (one request at a
 * time) and tallies what each answer says it took, against what the contract predicts.
 */
export class Sender {
  private cookie = '';
  private key = '';
  private stopped = false;
  private seq = 0;
  private byStatus = new Map<string, number>();
  private records = 0;
  private valid = 0;
  private invalidByReason: Record<string, number> = {};
  private kinds = new Map<string, number>();
  private unanswered = 0;
  private disagreements: string[] = [];

  constructor(private readonly base: string) {}

  async signIn(password: string): Promise<void> {
    const origin = { origin: this.base, 'content-type': 'application/json' };
    const login = await fetch(`${this.base}/api/auth/login`, {
      method: 'POST',
      headers: origin,
      body: JSON.stringify({ username: 'admin', password }),
    });
    if (!login.ok) throw new Error(`sign-in failed: ${login.status} ${await login.text()}`);
    this.cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const created = await fetch(`${this.base}/api/api-keys`, {
      method: 'POST',
      headers: { ...origin, cookie: this.cookie },
      body: JSON.stringify({ name: 'soak' }),
    });
    if (created.status !== 201)
      throw new Error(`creating an API key failed: ${created.status} ${await created.text()}`);
    this.key = ((await created.json()) as { secret: string }).secret;
  }

  stop(): void {
    this.stopped = true;
  }

  async run(everyMs: number): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      await this.post();
      const wait = everyMs - (Date.now() - started);
      for (let t = 0; t < wait && !this.stopped; t += 100) await sleep(Math.min(100, wait - t));
    }
  }

  private async post(): Promise<void> {
    const now = Date.now();
    const batch = badInputBatch(this.seq++, now, EVENT_TYPES);
    // What the contract says of each record (the pipeline's own parser), 'late' by construction.
    let valid = 0;
    const reasons: Record<string, number> = {};
    for (const record of batch.records) {
      const parsed = parseEventLine(record.line, now, HTTP_SOURCE);
      const outcome = parsed.ok ? (record.late ? 'late' : 'folded') : parsed.quarantined.reason;
      this.kinds.set(
        `${record.kind} → ${outcome}`,
        (this.kinds.get(`${record.kind} → ${outcome}`) ?? 0) + 1,
      );
      if (outcome === 'folded') valid++;
      else reasons[outcome] = (reasons[outcome] ?? 0) + 1;
    }
    if (batch.malformedBody) reasons.malformed_json = 1;
    let status: string;
    try {
      const res = await fetch(`${this.base}/api/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/x-ndjson' },
        body: batch.body,
        signal: AbortSignal.timeout(30_000),
      });
      status = String(res.status);
      const answer = (await res.json().catch(() => ({}))) as {
        accepted?: number;
        quarantined?: number;
        reasons?: Record<string, number>;
      };
      if (res.status === 200 || (res.status === 400 && batch.malformedBody)) {
        const invalid = Object.values(reasons).reduce((a, b) => a + b, 0);
        this.records += valid + invalid;
        this.valid += valid;
        for (const [reason, count] of Object.entries(reasons)) {
          this.invalidByReason[reason] = (this.invalidByReason[reason] ?? 0) + count;
        }
        const expected = JSON.stringify({
          accepted: valid,
          quarantined: invalid,
          reasons: sorted(reasons),
        });
        const got = JSON.stringify({
          accepted: answer.accepted,
          quarantined: answer.quarantined,
          reasons: sorted(answer.reasons ?? {}),
        });
        if (expected !== got && this.disagreements.length < 5) {
          this.disagreements.push(
            `request ${this.seq}: answered ${got}, the contract predicts ${expected}`,
          );
        }
      }
    } catch (error) {
      status =
        (error as Error).name === 'TimeoutError'
          ? 'no answer in 30 s'
          : `network error (${(error as Error).message})`;
      this.unanswered++;
    }
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  totals() {
    return {
      records: this.records,
      valid: this.valid,
      invalidByReason: this.invalidByReason,
      unanswered: this.unanswered,
    };
  }

  describe(): string[] {
    const requests = [...this.byStatus.values()].reduce((a, b) => a + b, 0);
    const invalid = Object.values(this.invalidByReason).reduce((a, b) => a + b, 0);
    return [
      `HTTP ingest: ${n(requests)} requests (${list(this.byStatus, ': ')}); ${n(this.records)} records taken, ${n(this.valid)} valid and ${n(invalid)} invalid${invalid > 0 ? ` (${list(Object.entries(this.invalidByReason), ' ')})` : ''}.`,
      `Kinds of record sent → what the contract makes of them: ${[...this.kinds]
        .sort()
        .map(([k, c]) => `${k} (${n(c)})`)
        .join('; ')}.`,
      ...(this.disagreements.length > 0
        ? [`**Answers that disagree with the contract**: ${this.disagreements.join('; ')}.`]
        : [
            'Every answer of POST /api/ingest matched the contract (accepted, quarantined and reasons).',
          ]),
    ];
  }
}

function list(entries: Iterable<[string, number]>, separator: string): string {
  return [...entries].map(([key, count]) => `${key}${separator}${n(count)}`).join(', ');
}

function sorted(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

// ── the batches ──────────────────────────────────────────────────────────────────────────────

interface BatchRecord {
  /** What the script meant to send, for the notes. */
  kind: string;
  /** The record as the server's body splitter hands it to the pipeline. */
  line: string;
  /** Valid but in a window already final: the pipeline quarantines it as late. */
  late?: boolean;
}

const DIMS = {
  region: ['us-east', 'eu-west', 'us-west', 'eu-central', 'ap-south'],
  device: ['web', 'ios', 'android'],
  feature: ['search', 'feed', 'cart', 'checkout', 'profile'],
  plan: ['free', 'pro', 'enterprise'],
  app_version: ['5.1.0', '5.2.0', '5.3.0'],
};
const VALID_PER_BATCH = 30;
const DAY_MS = 86_400_000;

/**
 * Request `seq` of the HTTP stream: 30 valid events of the simulator's types (current time,
 * the simulator's dimensions and measures), then one of each kind of bad input. Every 5th
 * request is a JSON array (only the kinds JSON can carry), every 10th a body that starts like
 * an array but is not one (400, kept as one malformed_json record).
 */
function badInputBatch(seq: number, now: number, types: readonly string[]) {
  if (seq % 10 === 9) {
    return {
      body: `[{"ts": ${now}, "type": "page_view"}, {"ts": `,
      records: [],
      malformedBody: true,
    };
  }
  let state = (seq * 2654435761) >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const dims = () => Object.fromEntries(Object.entries(DIMS).map(([k, vs]) => [k, pick(vs)]));
  const objects: { kind: string; value: unknown; late?: boolean }[] = [];
  for (let i = 0; i < VALID_PER_BATCH; i++) {
    const type = pick(types);
    const measures =
      type === 'purchase'
        ? { revenue: Math.round(random() * 20_000) / 100 }
        : type === 'api_request'
          ? { latency_ms: Math.round(random() * 3000) / 10 }
          : undefined;
    objects.push({
      kind: 'valid',
      value: { ts: now - Math.floor(random() * 1000), type, dims: dims(), measures },
    });
  }
  const ts = now - 500;
  objects.push(
    { kind: 'type not a string', value: { ts, type: 42 } },
    { kind: 'dimension value a number', value: { ts, type: 'page_view', dims: { region: 5 } } },
    { kind: 'no ts', value: { type: 'page_view', dims: dims() } },
    { kind: 'no type', value: { ts, dims: dims() } },
    { kind: 'unknown field', value: { ts, type: 'page_view', user: 'alice' } },
    { kind: 'ts not a date', value: { ts: 'yesterday', type: 'page_view' } },
    { kind: 'ts not an integer', value: { ts: ts + 0.5, type: 'page_view' } },
    { kind: 'ts 8 days old', value: { ts: now - 8 * DAY_MS, type: 'page_view' } },
    { kind: 'ts 1 h ahead', value: { ts: now + 3_600_000, type: 'page_view' } },
    {
      kind: 'ts 10 min old',
      value: { ts: now - 600_000, type: 'page_view', dims: dims() },
      late: true,
    },
    {
      kind: 'NUL in a dimension value',
      value: { ts, type: 'soak_edge', dims: { region: 'eu-\u0000west' } },
    },
    {
      kind: 'NUL in a dimension name',
      value: { ts, type: 'soak_edge', dims: { 're\u0000gion': 'x' } },
    },
    {
      kind: 'lone surrogate in a dimension value',
      value: { ts, type: 'soak_edge', dims: { region: 'eu\ud800' } },
    },
    { kind: 'measure 1e308', value: { ts, type: 'soak_edge', measures: { huge: 1e308 } } },
    {
      kind: 'dimension value of 200 characters',
      value: { ts, type: 'page_view', dims: { region: 'r'.repeat(200) } },
    },
    {
      kind: 'event over 8 KB',
      value: { ts, type: 'page_view', dims: { region: 'x'.repeat(9000) } },
    },
    { kind: 'array, not an object', value: [ts, 'page_view'] },
    { kind: 'null', value: null },
  );
  const records: BatchRecord[] = objects.map((o) => ({
    kind: o.kind,
    line: JSON.stringify(o.value),
    late: o.late,
  }));
  if (seq % 5 === 4) {
    return { body: `[${records.map((r) => r.line).join(',\n')}]`, records, malformedBody: false };
  }
  // Only NDJSON can carry these: the server splits lines, blank ones are not records.
  records.push(
    { kind: 'broken JSON', line: `{"ts": ${ts}, "type": "page_view"` },
    { kind: 'not JSON', line: 'hello, world' },
    {
      kind: 'measure 1e400 (Infinity)',
      line: `{"ts":${ts},"type":"api_request","measures":{"latency_ms":1e400}}`,
    },
  );
  return { body: records.map((r) => r.line).join('\n') + '\n\n', records, malformedBody: false };
}
