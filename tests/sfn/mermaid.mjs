// Print a Mermaid `flowchart TD` of a state-machine definition (ASL JSON; `${…}` placeholders may stay,
// they sit inside strings). Deterministic: the same file always gives byte-identical output.
//
//   node tests/sfn/mermaid.mjs DEFINITION > diagram.mmd
//
// Shapes: Task/Pass/Wait = box (`Name<br/>Type`, plus `retries: <errors>` when it has a Retry),
// Choice = rhombus, Succeed/Fail = stadium, Map/Parallel = subgraph (title: name, mode, items),
// start/end = small circles. Edges: Next (solid), Choice rules (labelled with a short condition) and
// Default, Catch (dotted, labelled with the caught error names).
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file || process.argv.length > 3) {
  process.stderr.write('usage: node tests/sfn/mermaid.mjs DEFINITION\n');
  process.exit(2);
}
let definition;
try {
  definition = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  process.stderr.write(`mermaid: cannot read ${file}: ${e.message}\n`);
  process.exit(2);
}

const lines = ['flowchart TD'];
const usedIds = new Set();

// Mermaid node ids: letters, digits, underscore; unique (a counter breaks collisions like A-B / A_B).
function newId(base) {
  const clean = base.replace(/[^A-Za-z0-9_]/g, '_');
  let id = clean;
  for (let n = 2; usedIds.has(id); n++) id = `${clean}_${n}`;
  usedIds.add(id);
  return id;
}

// Text inside a double-quoted Mermaid label: entity-escape what Mermaid or HTML would interpret.
function esc(text) {
  return String(text).replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}
function short(text, max = 60) {
  const s = String(text);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
// Error names of Retry/Catch entries, at most 3 shown: `Throttled, Transient, Lambda.ServiceException +3`.
function errorNames(list) {
  const names = [...new Set((list ?? []).flatMap((r) => r.ErrorEquals ?? []))];
  return names.slice(0, 3).join(', ') + (names.length > 3 ? ` +${names.length - 3}` : '');
}

// ---- Choice conditions --------------------------------------------------------------------------
const OPERATORS = [
  ['LessThanEquals', '<='], ['GreaterThanEquals', '>='], ['LessThan', '<'], ['GreaterThan', '>'], ['Equals', '=='], ['Matches', 'matches'],
];
function path(p) {
  return typeof p === 'string' ? p.replace(/^\$\./, '') : JSON.stringify(p);
}
function condition(rule) {
  if (rule.Condition !== undefined) return String(rule.Condition).replace(/^\{%\s*|\s*%\}$/g, ''); // JSONata
  if (rule.And) return rule.And.map((r) => `(${condition(r)})`).join(' and ');
  if (rule.Or) return rule.Or.map((r) => `(${condition(r)})`).join(' or ');
  if (rule.Not) return `not (${condition(rule.Not)})`;
  const variable = path(rule.Variable);
  for (const [key, value] of Object.entries(rule)) {
    if (key === 'Variable' || key === 'Next' || key === 'Comment' || key === 'Assign' || key === 'Output') continue;
    const test = /^Is(\w+)$/.exec(key);
    if (test) return `${variable} ${value ? 'is' : 'is not'} ${test[1].toLowerCase()}`;
    const op = OPERATORS.find(([suffix]) => key.replace(/Path$/, '').endsWith(suffix));
    const shown = typeof value === 'string' ? value : JSON.stringify(value); // `…Path` operands keep their `$.`
    if (op) return `${variable} ${op[1]} ${shown}`;
    return `${variable} ${key} ${shown}`;
  }
  return variable;
}

// ---- states -------------------------------------------------------------------------------------
function nodeLabel(name, state) {
  const parts = [esc(name)];
  if (state.Type === 'Fail' && (state.Error ?? state.ErrorPath)) parts.push(`Fail: ${esc(short(state.Error ?? state.ErrorPath, 40))}`);
  else if (state.Type === 'Task') parts.push(`Task${/^arn:aws:states:::/.test(state.Resource ?? '') ? ` (${esc(state.Resource.replace(/^arn:aws:states:::/, ''))})` : ''}`);
  else parts.push(state.Type);
  if (state.Retry) parts.push(`retries: ${esc(errorNames(state.Retry))}`);
  return `"${parts.join('<br/>')}"`;
}

function mapTitle(name, state) {
  const mode = state.ItemProcessor?.ProcessorConfig?.Mode ?? 'INLINE';
  const items = state.ItemReader ? `ItemReader ${short(state.ItemReader.Resource ?? '', 40)}` : state.ItemsPath ?? state.Items ?? '$';
  const parts = [esc(name), `Map (${esc(mode)}) over ${esc(short(items))}`];
  if (state.Retry) parts.push(`retries: ${esc(errorNames(state.Retry))}`);
  return `"${parts.join('<br/>')}"`;
}

// Draws one States block (top level, Map body or Parallel branch); returns nothing, appends lines.
function drawMachine(machine, prefix, indent) {
  const pad = '  '.repeat(indent);
  const ids = new Map(Object.keys(machine.States ?? {}).map((name) => [name, newId(`${prefix}${name}`)]));
  const start = newId(`${prefix}start`);
  const end = newId(`${prefix}end`);
  const edges = [];
  const classes = [];
  lines.push(`${pad}${start}(("start"))`);
  let hasEnd = false;
  for (const [name, state] of Object.entries(machine.States ?? {})) {
    const id = ids.get(name);
    if (state.Type === 'Map' || state.Type === 'Parallel') {
      const title = state.Type === 'Map' ? mapTitle(name, state) : `"${esc(name)}<br/>Parallel${state.Retry ? `<br/>retries: ${esc(errorNames(state.Retry))}` : ''}"`;
      lines.push(`${pad}subgraph ${id} [${title}]`);
      lines.push(`${pad}  direction TB`);
      if (state.Type === 'Map') {
        drawMachine(state.ItemProcessor ?? state.Iterator ?? {}, `${id}__`, indent + 1);
      } else {
        (state.Branches ?? []).forEach((branch, i) => {
          const branchId = newId(`${id}__branch${i + 1}`);
          lines.push(`${pad}  subgraph ${branchId} ["branch ${i + 1}"]`);
          drawMachine(branch, `${branchId}__`, indent + 2);
          lines.push(`${pad}  end`);
        });
      }
      lines.push(`${pad}end`);
    } else {
      const [open, close] = state.Type === 'Choice' ? ['{', '}'] : state.Type === 'Succeed' || state.Type === 'Fail' ? ['([', '])'] : ['[', ']'];
      lines.push(`${pad}${id}${open}${nodeLabel(name, state)}${close}`);
      if (state.Type === 'Succeed' || state.Type === 'Fail') classes.push(`class ${id} ${state.Type.toLowerCase()}`);
    }
    const to = (target) => ids.get(target) ?? newId(`${prefix}missing_${target}`);
    if (state.Next !== undefined) edges.push(`${id} --> ${to(state.Next)}`);
    for (const rule of state.Choices ?? []) edges.push(`${id} -->|"${esc(short(condition(rule)))}"| ${to(rule.Next)}`);
    if (state.Default !== undefined) edges.push(`${id} -->|"Default"| ${to(state.Default)}`);
    for (const c of state.Catch ?? []) edges.push(`${id} -.->|"catch: ${esc(errorNames([c]))}"| ${to(c.Next)}`);
    if (state.End === true || state.Type === 'Succeed' || state.Type === 'Fail') {
      edges.push(`${id} --> ${end}`);
      hasEnd = true;
    }
  }
  if (hasEnd) lines.push(`${pad}${end}(("end"))`);
  if (machine.StartAt !== undefined) lines.push(`${pad}${start} --> ${ids.get(machine.StartAt) ?? newId(`${prefix}missing_${machine.StartAt}`)}`);
  for (const line of [...edges, ...classes]) lines.push(`${pad}${line}`);
}

drawMachine(definition, 's_', 1);
lines.push('  classDef succeed fill:#dfd,stroke:#393');
lines.push('  classDef fail fill:#fdd,stroke:#c33');
process.stdout.write(`${lines.join('\n')}\n`);
