// Fails when src/ or examples/ has an import cycle (STYLE.md: no import cycles, checked in CI).
// Relative imports only: packages cannot import us back. Type-only imports count too, since a
// cycle of types still ties modules together.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const roots = ['src', 'examples'];
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name !== 'node_modules' && name !== 'dist') walk(full);
    } else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) {
      files.push(full);
    }
  }
};
roots.forEach(walk);

const importPattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g;
const graph = new Map();
for (const file of files) {
  const source = readFileSync(file, 'utf8');
  const targets = [];
  for (const match of source.matchAll(importPattern)) {
    const spec = match[1];
    const base = path.join(path.dirname(file), spec).replace(/\.js$/, '');
    const target = [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')].find((c) => files.includes(c));
    if (target) targets.push(target);
  }
  graph.set(file, targets);
}

const state = new Map();
const stack = [];
const cycles = [];
const visit = (file) => {
  state.set(file, 'visiting');
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (state.get(next) === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next]);
    else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(file, 'done');
};
for (const file of files) if (!state.has(file)) visit(file);

if (cycles.length > 0) {
  for (const cycle of cycles.slice(0, 10)) console.error(`import cycle: ${cycle.join(' → ')}`);
  process.exit(1);
}
console.log(`no import cycles among ${files.length} modules`);
