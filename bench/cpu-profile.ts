/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`, e.g. `bench/ingest.ts --cpu-prof DIR`) and
 * prints where the samples went, two ways:
 *
 * - by self time: the function on top of the stack (native work shows as its JS caller or as
 *   `(program)` / `(garbage collector)` / `(idle)`);
 * - by project frame: the innermost frame of this repository's `src/` on the stack, so the
 *   time spent in a library on behalf of webpig's code is charged to that code; samples with
 *   no project frame are grouped by the package (node_modules) or Node internal on top.
 *
 *   node --import tsx bench/cpu-profile.ts FILE.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  parent?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function frameName(frame: CallFrame): string {
  const where = frame.url === '' ? '' : ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
  return `${frame.functionName || '(anonymous)'}${where}`;
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

/** The bucket of a sample with no project frame: a package, a Node internal, or a V8 pseudo-frame. */
function outsideBucket(frame: CallFrame): string {
  const modules = frame.url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = frame.url.slice(modules + '/node_modules/'.length).split('/');
    return `[${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}]`;
  }
  if (frame.url.startsWith('node:')) return `[${frame.url}]`;
  if (frame.url === '') return frame.functionName.startsWith('(') ? frame.functionName : `[native ${frame.functionName}]`;
  return `[${shortUrl(frame.url)}]`;
}

function isProjectFrame(frame: CallFrame): boolean {
  return frame.url.includes('/src/') && !frame.url.includes('/node_modules/');
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  const file = positionals[0];
  if (!file) throw new Error('usage: bench/cpu-profile.ts FILE.cpuprofile [--top 25]');
  const top = Number(values.top);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) for (const child of node.children ?? []) (byId.get(child) as ProfileNode).parent = node.id;

  const self = new Map<string, number>();
  const project = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    total += micros;
    const node = byId.get(id) as ProfileNode;
    const selfName = frameName(node.callFrame);
    self.set(selfName, (self.get(selfName) ?? 0) + micros);
    let walk: ProfileNode | undefined = node;
    while (walk && !isProjectFrame(walk.callFrame)) walk = walk.parent === undefined ? undefined : byId.get(walk.parent);
    const bucket = walk ? frameName(walk.callFrame) : outsideBucket(node.callFrame);
    project.set(bucket, (project.get(bucket) ?? 0) + micros);
  });

  const print = (title: string, table: Map<string, number>) => {
    console.log(`\n${title}`);
    const rows = [...table.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [name, micros] of rows) {
      console.log(`  ${((100 * micros) / total).toFixed(1).padStart(5)} %  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${name}`);
    }
  };
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
  print('by self time', self);
  print('by innermost project frame (else the package or Node internal on top)', project);
}

main();
