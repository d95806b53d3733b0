// Fails when src/ or examples/ has an import cycle (none are allowed; npm test runs this),
// or when a module in src/ imports a layer above its own (layers point down only, see LAYER_RULES),
// or when an example reaches past the public API (src/index.ts) into src/.
// Relative imports only: packages cannot import us back. Type-only imports count too, since a
// cycle of types still ties modules together; dynamic `import('…')` counts for the layers.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
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
roots.filter((root) => existsSync(root)).forEach(walk);

const importPattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g;
const dynamicImportPattern = /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
const resolveImport = (file, spec) => {
  const base = path.join(path.dirname(file), spec).replace(/\.js$/, '');
  return [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')].find((c) => files.includes(c));
};
const lineOf = (source, index) => source.slice(0, index).split('\n').length;
const graph = new Map();
/** Every relative import, static or dynamic, with where it is written: for the layer rule. */
const imports = [];
for (const file of files) {
  const source = readFileSync(file, 'utf8');
  const targets = [];
  for (const match of source.matchAll(importPattern)) {
    const target = resolveImport(file, match[1]);
    if (target) targets.push(target);
  }
  graph.set(file, targets);
  for (const pattern of [importPattern, dynamicImportPattern]) {
    for (const match of source.matchAll(pattern)) {
      const target = resolveImport(file, match[1]);
      const at = match.index + match[0].indexOf(match[1]);
      if (target) imports.push({ file, line: lineOf(source, at), spec: match[1], target });
    }
  }
}

/**
 * Layers point down only: core < store, sources < config (the config's schema and its one parse)
 * < engine < server, dashboard < service (the composition: the HTTP app and start-up) < demo < cli
 * (`webpig demo` runs the demo). Each rule says what one folder of src/ may not import; a shared
 * piece moves down (into core), the composition moves up (into service).
 */
const ABOVE_STORE = ['config', 'engine', 'server', 'dashboard', 'service', 'cli', 'demo'];
const LAYER_RULES = [
  { layer: 'core', allows: (to) => to === 'core', rule: 'core imports only core' },
  {
    layer: 'config',
    allows: (to) => !ABOVE_STORE.slice(1).includes(to),
    rule: 'config never imports engine, server, dashboard, service, cli, demo (areas receive their slice of the resolved config)',
  },
  { layer: 'store', allows: (to) => !ABOVE_STORE.includes(to), rule: `store never imports ${ABOVE_STORE.join(', ')}` },
  { layer: 'sources', allows: (to) => !ABOVE_STORE.includes(to), rule: `sources never import ${ABOVE_STORE.join(', ')}` },
  {
    layer: 'engine',
    allows: (to) => !['server', 'dashboard', 'service', 'cli', 'demo'].includes(to),
    rule: 'engine never imports server, dashboard, service, cli, demo',
  },
  {
    layer: 'server',
    allows: (to) => !['dashboard', 'service', 'cli', 'demo'].includes(to),
    rule: 'server never imports dashboard, service, cli, demo (the composition in src/service puts them together)',
  },
  {
    layer: 'dashboard',
    allows: (to) => !['server', 'service', 'cli', 'demo'].includes(to),
    rule: 'dashboard never imports server, service, cli, demo (shared HTTP errors are in core)',
  },
  { layer: 'service', allows: (to) => !['cli', 'demo'].includes(to), rule: 'service never imports cli, demo' },
  { layer: 'demo', allows: (to) => to !== 'cli', rule: 'demo never imports cli (what both need is in src/service)' },
];
/** The folder of src/ a module belongs to ('src/core/x.ts' → 'core'), or null outside one. */
const layerOf = (file) => {
  const parts = file.split(path.sep);
  return parts[0] === 'src' && parts.length > 2 ? parts[1] : null;
};
/** examples/ use webpig as its users do: through the package's public face, never its internals. */
const PUBLIC_API = path.join('src', 'index.ts');
const isExample = (file) => file.split(path.sep)[0] === 'examples';
const isInternal = (file) => file.split(path.sep)[0] === 'src' && file !== PUBLIC_API;
const layerBreaks = [];
for (const { file, line, spec, target } of imports) {
  if (isExample(file) && isInternal(target)) {
    layerBreaks.push(
      `layer rule broken: ${file}:${line} imports '${spec}' (${target}), but examples import only the public API (src/index.ts)`,
    );
    continue;
  }
  const from = layerOf(file);
  const to = layerOf(target);
  const rule = LAYER_RULES.find((r) => r.layer === from);
  if (rule && to !== null && !rule.allows(to)) {
    layerBreaks.push(`layer rule broken: ${file}:${line} imports '${spec}' (${target}), but ${rule.rule}`);
  }
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

for (const cycle of cycles.slice(0, 10)) console.error(`import cycle: ${cycle.join(' → ')}`);
for (const layerBreak of layerBreaks) console.error(layerBreak);
if (layerBreaks.length > 0) {
  console.error(
    'Layers point down only: move the shared piece down (into core) or the composition up (into src/service);' +
      ' what an example legitimately needs is exported from src/index.ts.',
  );
}
if (cycles.length > 0 || layerBreaks.length > 0) process.exit(1);
console.log(`no import cycles among ${files.length} modules; none of their ${imports.length} relative imports points up the layers`);
