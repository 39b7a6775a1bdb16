// Validate state-machine definitions (templates with `${…}` placeholders) with BOTH
//   * asl-validator (JS API, JSONPath and ARN checks on), and
//   * amazon-states-language-service (the AWS Toolkit's ASL schema and checks),
// since each catches things the other misses. Placeholders are rendered like run-execution.mjs
// does (render.cjs): `${x_arn}` → a Lambda ARN, any other `${x}` → the string "placeholder-x".
//
//   node tests/sfn/validate.cjs FILE...
//
// Prints `FILE: OK`, or one line per diagnostic: `FILE:LINE: [validator] message` (LINE is
// best effort for asl-validator, whose non-schema errors carry only a state name).
// Exit 0 = all files clean, 1 = some diagnostic, 2 = usage error / unreadable file.
'use strict';

const fs = require('node:fs');
const aslValidator = require('asl-validator');
const { getLanguageService } = require('amazon-states-language-service');
const { TextDocument } = require('vscode-languageserver-textdocument');
const { render } = require('./render.cjs');

const languageService = getLanguageService({});

// ---- locating asl-validator errors in the source ----------------------------------------------
// AST of vscode-json-languageservice: object → properties[{keyNode, valueNode}], array → items.
function nodeAtPointer(root, pointer) {
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node?.type === 'object') node = node.properties.find((p) => p.keyNode.value === key)?.valueNode ?? node;
    else if (node?.type === 'array') node = node.items[Number(key)] ?? node;
    else break;
  }
  return node;
}

function* properties(node) {
  if (node?.type === 'object') {
    for (const p of node.properties) {
      yield p;
      yield* properties(p.valueNode);
    }
  } else if (node?.type === 'array') {
    for (const item of node.items) yield* properties(item);
  }
}

// Non-schema asl-validator messages name a state ("State X is not reachable") or a transition
// target ("Missing 'StartAt'|'Next'|'Default' target: X"); point at that state / that transition.
function nodeForMessage(root, message) {
  let m = /^State "?(.+?)"? (?:is not reachable|MUST)/.exec(message) ?? /already exists: (.+)$/.exec(message);
  if (m) return [...properties(root)].find((p) => p.keyNode.value === m[1])?.keyNode;
  m = /target: (.+)$/.exec(message);
  if (m) {
    return [...properties(root)].find((p) => ['Next', 'Default', 'StartAt'].includes(p.keyNode.value) && p.valueNode?.value === m[1])?.valueNode;
  }
  return undefined;
}

// ---- one file -------------------------------------------------------------------------------
async function validateFile(file) {
  let template;
  try {
    template = fs.readFileSync(file, 'utf8');
  } catch (e) {
    console.error(`validate: cannot read ${file}: ${e.message}`);
    process.exit(2);
  }
  const { text, invalid } = render(template, { fallback: (name) => `placeholder-${name}` });
  const lineOfText = (needle) => (template.includes(needle) ? template.slice(0, template.indexOf(needle)).split('\n').length : null);
  const problems = invalid.map((name) => ({
    line: lineOfText(`\${${name}}`),
    source: 'render',
    message: `template expression \${${name}} is not a plain placeholder (write $\${ for a literal \${)`,
  }));

  // Rendering never adds or removes lines, so line numbers are those of the template.
  const doc = TextDocument.create(`file://${file}`, 'json', 1, text);
  const jsonDoc = languageService.parseJSONDocument(doc);
  const lineOf = (node) => (node ? doc.positionAt(node.offset).line + 1 : null);

  for (const d of await languageService.doValidation(doc, jsonDoc)) {
    problems.push({ line: d.range.start.line + 1, source: 'states-language-service', message: d.message });
  }

  let definition;
  try {
    definition = JSON.parse(text);
  } catch (e) {
    const line = /line (\d+)/.exec(e.message)?.[1];
    problems.push({ line: line ? Number(line) : null, source: 'json', message: `not valid JSON after rendering: ${e.message}` });
  }
  if (definition !== undefined) {
    const { errors } = aslValidator(definition, { checkPaths: true, checkArn: true });
    for (const err of errors) {
      const pointer = err.schemaError?.instancePath;
      const node = pointer !== undefined ? nodeAtPointer(jsonDoc.root, pointer) : nodeForMessage(jsonDoc.root, err.Message);
      problems.push({ line: lineOf(node), source: 'asl-validator', message: `${err['Error code']}: ${err.Message}` });
    }
  }

  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (problems.length === 0) console.log(`${file}: OK`);
  for (const p of problems) console.log(`${file}:${p.line ?? '-'}: [${p.source}] ${p.message}`);
  return problems.length === 0;
}

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0 || files.some((f) => f.startsWith('-'))) {
    console.error('usage: node tests/sfn/validate.cjs FILE...');
    process.exit(2);
  }
  let ok = true;
  for (const file of files) ok = (await validateFile(file)) && ok;
  process.exitCode = ok ? 0 : 1;
})();
