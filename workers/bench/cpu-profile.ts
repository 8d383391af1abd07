/**
 * CPU accounting for the Kafka benchmark (workers/bench/kafka-e2e.ts): process and machine CPU time
 * from /proc (Linux), and a V8 CPU profile (`--cpu-prof`) summed up by component and function,
 * so the report says what bounds the worker.
 */
import { readFileSync } from 'node:fs';

/** utime + stime of a process, in seconds (Linux). */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Machine-wide [busy, total] jiffies (Linux). */
export function machineJiffies(): [number, number] {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return [total - idle, total];
  } catch {
    return [NaN, NaN];
  }
}

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  startTime: number;
  timeDeltas: number[];
}

function component(fn: string, url: string): string {
  if (fn === '(idle)') return '(idle)';
  if (fn === '(garbage collector)') return 'garbage collection';
  if (url.includes('/node_modules/kafkajs/')) return 'kafkajs (fetch, decode, protocol)';
  if (url.includes('/node_modules/postgres/')) return 'postgres.js (flush queries)';
  if (url === '' && (fn === 'parse' || fn === 'JSONParse')) return 'JSON.parse';
  if (url.includes('/lib/')) return 'Pulse lib (validate + fold)';
  if (url.includes('/workers/') || url.includes('/db/')) return 'Pulse worker + db code';
  if (url.startsWith('node:')) return 'Node core (net, streams, buffers)';
  if (url.includes('/node_modules/')) return 'other dependencies';
  return fn === '(program)' ? '(program: V8/native)' : `other (${fn || 'anonymous'})`;
}

/**
 * Self time by component and by function, of the samples taken in [fromUs, toUs] (monotonic
 * clock, µs: V8's profile timestamps and process.hrtime share CLOCK_MONOTONIC on Linux), so
 * the worker's start-up (tsx compiling modules) and shutdown are left out.
 */
export function summariseProfile(profile: CpuProfile, fromUs: number, toUs: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  let at = profile.startTime;
  const inWindow = profile.samples.filter((_, i) => {
    at += profile.timeDeltas[i] ?? 0;
    return at >= fromUs && at <= toUs;
  });
  const samples = inWindow.length > 100 ? inWindow : profile.samples;
  const byComponent = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const id of samples) {
    const frame = byId.get(id);
    if (!frame) continue;
    const c = component(frame.functionName, frame.url);
    if (c === '(idle)') continue;
    busy++;
    byComponent.set(c, (byComponent.get(c) ?? 0) + 1);
    const where = frame.url
      ? `${frame.url.replace(/^.*\/(node_modules\/)?/, '')}:${frame.lineNumber + 1}`
      : '';
    const name = `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + 1);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => ({ name, percent: busy ? (100 * n) / busy : 0 }));
  return {
    profile: rank(byComponent).map(({ name, percent }) => ({ component: name, percent })),
    topFunctions: rank(byFunction).slice(0, 8),
  };
}
