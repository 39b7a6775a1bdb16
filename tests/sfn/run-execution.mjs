// Run one execution of a Step Functions (ASL, JSONPath) definition locally with aws-local-stepfunctions,
// sending every Task state to a Lambda Invoke API (e.g. `cargo lambda watch`), and print ONE JSON
// object describing the execution on stdout. Needs Node >= 22 (tests/sfn/node_modules/.bin/node).
//
//   node tests/sfn/run-execution.mjs --definition PATH --lambda-endpoint http://127.0.0.1:PORT --input FILE|- \
//        [--var name=value]... [--retry-interval-ms N] [--wait-ms N] [--capture StateName]... [--name EXECUTION_NAME] \
//        [--region us-east-1] [--account 000000000000] [--s3-endpoint http://127.0.0.1:PORT]
//
// Output: {"status": "SUCCEEDED"|"FAILED"|"TIMED_OUT"|"ABORTED", "output", "error", "cause",
//          "events": {type: n}, "transitions", "retries", "invocations": {fn: n},
//          "captured": {state: [{input, output}]}, "duration_ms"}
// `--var schedules_document=...` defaults to `{}` (no deployed schedules).
// A failed execution still exits 0 (status FAILED); exit 2 = usage error / unreadable file / bad definition.
//
// Notes on the library (aws-local-stepfunctions 3.0.0, checked in its build/main.node.esm.js):
// * Task handlers are keyed by state NAME (state names are unique across the whole machine in ASL).
// * Error name/cause: a thrown Error's `.name` is the ASL error name, `.message` the cause; a Catch
//   hands `{Error: name, Cause: message}` to the next state (Cause is always present, "" if empty).
// * A Task without TimeoutSeconds times out after 60 s locally (States.Timeout), not AWS's 99999999 s.
// * ItemReader is ignored (a Distributed Map's items come from ItemsPath); see itemReaders() below.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { StateMachine, ExecutionError, ExecutionAbortedError, ExecutionTimeoutError } from 'aws-local-stepfunctions';
import renderModule from './render.cjs';

const { render } = renderModule;

function fail(message) {
  process.stderr.write(`run-execution: ${message}\n`);
  process.exit(2);
}
function usage(message) {
  fail(`${message}\nusage: run-execution.mjs --definition PATH --lambda-endpoint URL --input FILE|- [--var name=value]...\n` +
    '       [--retry-interval-ms N] [--wait-ms N] [--capture StateName]... [--name NAME] [--region R] [--account A]');
}

function readText(path, what) {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    return fail(`cannot read ${what} ${path}: ${e.message}`);
  }
}

if (typeof Promise.withResolvers !== 'function') {
  fail(`needs Node >= 22 (this is ${process.version}): run it with tests/sfn/node_modules/.bin/node (scripts/bootstrap-node.sh installs it)`);
}

// ---- arguments -------------------------------------------------------------------------------
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      definition: { type: 'string' },
      'lambda-endpoint': { type: 'string' },
      input: { type: 'string' },
      var: { type: 'string', multiple: true, default: [] },
      'retry-interval-ms': { type: 'string' },
      'wait-ms': { type: 'string' },
      capture: { type: 'string', multiple: true, default: [] },
      name: { type: 'string' },
      region: { type: 'string', default: 'us-east-1' },
      account: { type: 'string', default: '000000000000' },
      's3-endpoint': { type: 'string' },
    },
  }));
} catch (e) {
  usage(e.message);
}
for (const required of ['definition', 'lambda-endpoint', 'input']) {
  if (args[required] === undefined) usage(`--${required} is required`);
}
const endpoint = args['lambda-endpoint'].replace(/\/+$/, '');
if (!/^https?:\/\/[^/]+$/.test(endpoint)) usage(`--lambda-endpoint must look like http://127.0.0.1:9000, got ${endpoint}`);
// `schedules_document` (the deployed schedules document, as the body of a JSON string) defaults
// to the empty document `{}`: only inline schedule expressions resolve. Pass the encoded form of a
// real document with --var schedules_document=... (uptime_testkit::local::schedules_document_var).
const vars = { schedules_document: '{}' };
for (const v of args.var) {
  const eq = v.indexOf('=');
  if (eq < 1) usage(`--var expects name=value, got ${v}`);
  vars[v.slice(0, eq)] = v.slice(eq + 1);
}
const s3Endpoint = args['s3-endpoint']?.replace(/\/+$/, '') ?? null;
if (s3Endpoint !== null && !/^https?:\/\/[^/]+$/.test(s3Endpoint)) usage(`--s3-endpoint must look like http://127.0.0.1:5000, got ${s3Endpoint}`);
let retryIntervalMs = null;
// --wait-ms N: every Wait state waits N milliseconds instead of its Seconds (tests).
let waitMs = null;
if (args['wait-ms'] !== undefined) {
  waitMs = Number(args['wait-ms']);
  if (!Number.isInteger(waitMs) || waitMs < 0) usage('--wait-ms must be an integer >= 0');
}
if (args['retry-interval-ms'] !== undefined) {
  retryIntervalMs = Number(args['retry-interval-ms']);
  if (!Number.isInteger(retryIntervalMs) || retryIntervalMs < 0) usage('--retry-interval-ms must be an integer >= 0');
}

// ---- definition ------------------------------------------------------------------------------
const rendered = render(readText(args.definition, 'definition'), { vars, region: args.region, account: args.account });
if (rendered.invalid.length) {
  fail(`${args.definition}: not a plain placeholder: ${rendered.invalid.map((n) => '${' + n + '}').join(', ')} (write $\${ for a literal \${)`);
}
if (rendered.missing.length) usage(`no value for placeholder(s) ${rendered.missing.map((n) => '${' + n + '}').join(', ')}: pass --var name=value`);
let definition, input;
try {
  definition = JSON.parse(rendered.text);
} catch (e) {
  fail(`rendered definition ${args.definition} is not valid JSON: ${e.message}`);
}
try {
  input = JSON.parse(readText(args.input, 'input'));
} catch (e) {
  fail(`input ${args.input} is not valid JSON: ${e.message}`);
}

// Every state at any depth (Map ItemProcessor/Iterator, Parallel Branches), by name.
function* allStates(states) {
  for (const [name, state] of Object.entries(states ?? {})) {
    yield [name, state];
    const bodies = state.Type === 'Map' ? [state.ItemProcessor ?? state.Iterator] : state.Type === 'Parallel' ? state.Branches : [];
    for (const body of bodies ?? []) yield* allStates(body?.States);
  }
}
// ---- ItemReader ------------------------------------------------------------------------------
// The library ignores ItemReader. The smallest faithful stand-in: a Task state inserted before
// the Map reads the object with the ItemReader's Parameters (evaluated against the Map's input,
// as on AWS) from S3 (--s3-endpoint: moto, path-style, SigV4-signed), and the Map takes its items
// from where that Task put them (`$.<ITEMS_KEY>`, a key the rest of the definition never
// reads). Every transition to the Map goes to the reader instead; the reader has the Map's
// Catch, so a missing object is caught where AWS would catch it (States.ItemReaderFailed).
// Only ReaderConfig.InputType JSON is read; the reader's own events are not counted below.
const ITEMS_KEY = '__local_item_reader_items';
const itemReaderStates = new Map(); // reader state name → { resource, inputType }
function itemReaders(scope) {
  const maps = Object.entries(scope?.States ?? {}).filter(([, st]) => st.Type === 'Map' && st.ItemReader);
  for (const [name, map] of maps) {
    const reader = `${name}.ItemReader`;
    const retarget = (target) => (target === name ? reader : target);
    scope.StartAt = retarget(scope.StartAt);
    for (const st of Object.values(scope.States)) {
      if (st.Next) st.Next = retarget(st.Next);
      if (st.Default) st.Default = retarget(st.Default);
      for (const c of [...(st.Choices ?? []), ...(st.Catch ?? [])]) if (c.Next) c.Next = retarget(c.Next);
    }
    const { Resource, ReaderConfig, Parameters } = map.ItemReader;
    scope.States[reader] = {
      Type: 'Task', Resource,
      Parameters: Parameters ?? {}, ResultPath: `$.${ITEMS_KEY}`, Next: name,
      ...(map.Catch ? { Catch: map.Catch } : {}),
    };
    itemReaderStates.set(reader, { resource: Resource, inputType: ReaderConfig?.InputType ?? null });
    delete map.ItemReader;
    map.ItemsPath = `$.${ITEMS_KEY}`;
  }
  for (const st of Object.values(scope?.States ?? {})) {
    if (st.Type === 'Map') itemReaders(st.ItemProcessor ?? st.Iterator);
    if (st.Type === 'Parallel') for (const b of st.Branches ?? []) itemReaders(b);
  }
}
itemReaders(definition);

// ---- ResultWriter --------------------------------------------------------------------------
// The library ignores ResultWriter too: a Distributed Map's children's outputs arrive inline,
// which past a few hundred accounts is more than a task may be handed (256 KiB). The stand-in,
// a Task inserted after such a Map, writes them to S3 as AWS does (with --s3-endpoint: a result
// file `<Prefix>/<id>/SUCCEEDED_0.json` of `{ExecutionArn, Status, Output}` entries, Output as
// JSON text, and `<Prefix>/<id>/manifest.json` naming it) and puts AWS's pointer
// `{MapRunArn, ResultWriterDetails: {Bucket, Key}}` where the inline outputs were. Only
// `arn:aws:states:::s3:putObject` with Bucket and Prefix, and a Map with at most a ResultPath.
// Without --s3-endpoint the outputs stay inline, as before.
const resultWriterStates = new Map(); // writer state name → { bucket, prefix, map }
function resultWriters(scope) {
  if (s3Endpoint === null) return;
  const maps = Object.entries(scope?.States ?? {}).filter(([, st]) => st.Type === 'Map' && st.ResultWriter);
  for (const [name, map] of maps) {
    const { Resource, Parameters } = map.ResultWriter;
    if (Resource !== 'arn:aws:states:::s3:putObject' || typeof Parameters?.Bucket !== 'string' || map.ResultSelector || map.OutputPath) {
      fail(`${name}: only a ResultWriter s3:putObject with a literal Bucket, on a Map without ResultSelector/OutputPath, is emulated`);
    }
    const writer = `${name}.ResultWriter`;
    const path = map.ResultPath ?? '$';
    scope.States[writer] = {
      Type: 'Task', Resource, Parameters: { 'Results.$': path }, ResultPath: path,
      ...(map.End ? { End: true } : { Next: map.Next }),
    };
    delete map.End;
    map.Next = writer;
    resultWriterStates.set(writer, { bucket: Parameters.Bucket, prefix: Parameters.Prefix ?? '', map: name });
    delete map.ResultWriter;
  }
  for (const st of Object.values(scope?.States ?? {})) {
    if (st.Type === 'Map') resultWriters(st.ItemProcessor ?? st.Iterator);
  }
}
resultWriters(definition);

async function putObject(stateName, bucket, key, text) {
  const path = `/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
  let res;
  try {
    res = await fetch(`${s3Endpoint}${path}`, { method: 'PUT', headers: signed('PUT', path, text), body: text });
  } catch (e) {
    throw stateError('States.ResultWriterFailed', `${stateName}: PUT s3://${bucket}/${key} failed: ${e.cause?.message ?? e.message}`);
  }
  if (res.status !== 200) {
    throw stateError('States.ResultWriterFailed', `${stateName}: s3://${bucket}/${key}: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
  }
  return Buffer.byteLength(text);
}

async function writeResults(stateName, params) {
  const { bucket, prefix, map } = resultWriterStates.get(stateName);
  const outputs = params?.Results;
  if (!Array.isArray(outputs)) throw stateError('States.Runtime', `${stateName}: the Map's results are not an array`);
  const id = randomUUID();
  const base = `${prefix ? prefix.replace(/\/+$/, '') + '/' : ''}${id}`;
  const mapRunArn = `arn:aws:states:${args.region}:${args.account}:mapRun:${machineName}/${map}:${id}`;
  const file = `${base}/SUCCEEDED_0.json`;
  const entries = outputs.map((output, i) => ({
    ExecutionArn: `arn:aws:states:${args.region}:${args.account}:express:${machineName}/${map}:${id}:${i}`,
    Name: `${i}`, Status: 'SUCCEEDED', Output: JSON.stringify(output),
  }));
  const size = await putObject(stateName, bucket, file, JSON.stringify(entries));
  const manifest = {
    DestinationBucket: bucket, MapRunArn: mapRunArn,
    ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: [{ Key: file, Size: size }] },
  };
  const key = `${base}/manifest.json`;
  await putObject(stateName, bucket, key, JSON.stringify(manifest));
  return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: bucket, Key: key } };
}

// A Signature Version 4 request (path-style, no query), with the credentials of the environment
// (moto's `testing` by default): Step Functions reads and writes objects with its role's credentials,
// and an unsigned request is anonymous to S3 (moto refuses it on a private bucket).
function signed(method, path, body) {
  const sha256 = (data) => createHash('sha256').update(data).digest('hex');
  const hmac = (key, data) => createHmac('sha256', key).update(data).digest();
  const accessKey = process.env.AWS_ACCESS_KEY_ID ?? 'testing';
  const secretKey = process.env.AWS_SECRET_ACCESS_KEY ?? 'testing';
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const host = new URL(s3Endpoint).host;
  const payload = sha256(body);
  const headers = { host, 'x-amz-content-sha256': payload, 'x-amz-date': amzDate };
  const signed = Object.keys(headers).sort();
  const canonical = [method, path, '', ...signed.map((h) => `${h}:${headers[h]}`), '', signed.join(';'), payload].join('\n');
  const scope = `${day}/${args.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${secretKey}`, day);
  for (const part of [args.region, 's3', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return {
    'x-amz-content-sha256': payload, 'x-amz-date': amzDate,
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`,
  };
}

async function readItems(stateName, params) {
  const { resource: s3Resource, inputType } = itemReaderStates.get(stateName);
  const refuse = (message) => {
    throw stateError('States.ItemReaderFailed', `${stateName}: ${message}`);
  };
  if (s3Resource !== 'arn:aws:states:::s3:getObject' || inputType !== 'JSON') {
    throw stateError('States.Runtime', `${stateName}: only an s3:getObject ItemReader of InputType JSON is emulated`,
      { isRetryable: false, isCatchable: false });
  }
  if (s3Endpoint === null) {
    throw stateError('States.Runtime', `${stateName}: an ItemReader needs --s3-endpoint`, { isRetryable: false, isCatchable: false });
  }
  const { Bucket, Key } = params ?? {};
  if (typeof Bucket !== 'string' || typeof Key !== 'string') refuse('the ItemReader needs Parameters Bucket and Key');
  const path = `/${encodeURIComponent(Bucket)}/${Key.split('/').map(encodeURIComponent).join('/')}`;
  let res, text;
  try {
    res = await fetch(`${s3Endpoint}${path}`, { headers: signed('GET', path, '') });
    text = await res.text();
  } catch (e) {
    return refuse(`GET s3://${Bucket}/${Key} failed: ${e.cause?.message ?? e.message}`);
  }
  if (res.status !== 200) refuse(`s3://${Bucket}/${Key}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  let items;
  try {
    items = JSON.parse(text);
  } catch (e) {
    return refuse(`s3://${Bucket}/${Key} is not JSON: ${e.message}`);
  }
  if (!Array.isArray(items)) refuse(`s3://${Bucket}/${Key} is not a JSON array`);
  return items;
}

const states = new Map(allStates(definition.States));
// Library bug (3.0.0): `"ResultPath": "$"` stores the result under a key named "$" instead of
// replacing the input. On AWS it means the same as no ResultPath (result replaces input), so drop it.
for (const state of states.values()) {
  for (const holder of [state, ...(state.Catch ?? [])]) if (holder.ResultPath === '$') delete holder.ResultPath;
}
// JSONata fields (Arguments, Output, Items, Assign, Condition…) are silently ignored by the library.
if (definition.QueryLanguage === 'JSONata' || [...states.values()].some((s) => s.QueryLanguage === 'JSONata')) {
  fail(`${args.definition} uses QueryLanguage JSONata, which aws-local-stepfunctions 3.0.0 does not execute`);
}

// ---- Lambda Invoke API ---------------------------------------------------------------------
const invocations = {};

function stateError(name, message, extra = {}) {
  return Object.assign(new Error(message), { name }, extra);
}

// "arn:aws:lambda:r:a:function:NAME[:qualifier]" → NAME; anything else → the text after the last ':'.
function functionName(arnOrName) {
  const m = /:function:([^:]+)/.exec(arnOrName);
  return m ? m[1] : String(arnOrName).split(':').pop();
}

async function invoke(fn, payload) {
  invocations[fn] = (invocations[fn] ?? 0) + 1;
  const url = `${endpoint}/2015-03-31/functions/${encodeURIComponent(fn)}/invocations`;
  let res, text;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    text = await res.text();
  } catch (e) {
    throw stateError('Lambda.ServiceException', `POST ${url} failed: ${e.cause?.message ?? e.message}`);
  }
  let body;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = undefined; // not JSON
  }
  const functionError = res.headers.get('x-amz-function-error'); // real Lambda: 200 + this header on failure
  if (res.status === 200 && !functionError && body !== undefined) return body;
  if (body && typeof body === 'object' && typeof body.errorType === 'string') {
    // As on AWS, the error name is the function's errorType and the cause is the function's
    // error payload as JSON text ({"errorType", "errorMessage"}).
    throw stateError(body.errorType, JSON.stringify({ errorType: body.errorType, errorMessage: String(body.errorMessage ?? '') }));
  }
  throw stateError('Lambda.ServiceException',
    `${fn}: HTTP ${res.status}${functionError ? ` (X-Amz-Function-Error: ${functionError})` : ''}: ${text.slice(0, 1000)}`);
}

// Plain function ARN: the state input is the payload and the function's result the state result.
// Optimized integration "arn:aws:states:::lambda:invoke": Parameters give FunctionName + Payload,
// the result is wrapped like AWS does ({ExecutedVersion, Payload, StatusCode}).
function taskHandler(stateName, resource) {
  if (resource === 'arn:aws:states:::lambda:invoke') {
    return async (input) => ({ ExecutedVersion: '$LATEST', Payload: await invoke(functionName(input?.FunctionName ?? ''), input?.Payload ?? {}), StatusCode: 200 });
  }
  if (/^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:[^:]+/.test(resource)) return (input) => invoke(functionName(resource), input);
  return () => {
    // Not retryable/catchable (flags read by the library), so the execution fails with this message.
    throw stateError('States.Runtime', `Task state ${stateName}: resource ${resource} is not a Lambda function (not emulated)`,
      { isRetryable: false, isCatchable: false });
  };
}

const taskResourceLocalHandlers = {};
const retryIntervalOverrides = {};
const waitTimeOverrides = {};
for (const [name, state] of states) {
  if (state.Type === 'Wait' && waitMs !== null) waitTimeOverrides[name] = waitMs;
  if (itemReaderStates.has(name)) taskResourceLocalHandlers[name] = (params) => readItems(name, params);
  else if (resultWriterStates.has(name)) taskResourceLocalHandlers[name] = (params) => writeResults(name, params);
  else if (state.Type === 'Task') taskResourceLocalHandlers[name] = taskHandler(name, state.Resource);
  // The override is in MILLISECONDS and replaces the whole computed wait for every retrier of the
  // state and every attempt: IntervalSeconds * BackoffRate^attempt is not used and JitterStrategy
  // FULL is skipped; the override is still clamped to MaxDelaySeconds (so it can only get shorter).
  if (retryIntervalMs !== null && state.Retry) retryIntervalOverrides[name] = retryIntervalMs;
}

// ---- run ------------------------------------------------------------------------------------
const executionName = args.name ?? randomUUID(); // AWS also names an execution by a UUID by default
const machineName = basename(args.definition).replace(/\..*$/, '') || 'local';
const stateMachineArn = `arn:aws:states:${args.region}:${args.account}:stateMachine:${machineName}`;
// The library overwrites Execution.Input and Execution.StartTime itself (also per Map iteration).
const context = {
  Execution: { Id: `arn:aws:states:${args.region}:${args.account}:execution:${machineName}:${executionName}`, Name: executionName },
  StateMachine: { Id: stateMachineArn, Name: machineName },
};

// Library race (3.0.0): events of a Map/Parallel iteration reach the parent's event log through an
// async forwarding loop, and a log drops whatever arrives after it was closed, so e.g. the last
// MapIterationSucceeded/StateExited of a nested Map iteration that ends via Catch got lost. Patch:
// a log closes one macrotask later (forwarding loops drain first), but ignores its OWN state and
// execution events from the moment close() is called (as the library intends, e.g. after a timeout
// or an abort). `execute(input, options, cleanup)` is internal; if its shape changes, nothing is patched.
function deferClose(logger) {
  const close = logger.close.bind(logger);
  let ended = false;
  logger.close = () => {
    ended = true;
    setImmediate(close);
  };
  for (const method of Object.getOwnPropertyNames(Object.getPrototypeOf(logger))) {
    if (/^dispatch(Execution|State)\w*Event$/.test(method)) {
      const dispatch = logger[method].bind(logger);
      logger[method] = (...a) => (ended ? undefined : dispatch(...a));
    }
  }
  logger.closeDeferred = true;
}
const innerExecute = StateMachine.prototype.execute;
if (typeof innerExecute === 'function') {
  StateMachine.prototype.execute = function (input, options, ...rest) {
    const logger = options?.eventLogger;
    if (logger && typeof logger.close === 'function' && !logger.closeDeferred) deferClose(logger);
    return innerExecute.call(this, input, options, ...rest);
  };
}

let machine;
try {
  machine = new StateMachine(definition);
} catch (e) {
  fail(`${args.definition}: ${e.message}`);
}

const started = performance.now();
const execution = machine.run(input, { overrides: { taskResourceLocalHandlers, retryIntervalOverrides, waitTimeOverrides }, context });
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => execution.abort());

const events = {};
const captureNames = new Set(args.capture);
const captured = Object.fromEntries(args.capture.map((n) => [n, []]));
const open = []; // captured StateEntered records still waiting for their StateExited
const drained = (async () => {
  for await (const ev of execution.eventLogs) {
    const name = ev.state?.name;
    if (itemReaderStates.has(name) || resultWriterStates.has(name)) continue; // the stand-ins' own events: AWS has no such state
    events[ev.type] = (events[ev.type] ?? 0) + 1;
    if (!captureNames.has(name)) continue;
    if (ev.type === 'StateEntered') {
      const record = { input: ev.state.input, output: null };
      captured[name].push(record);
      open.push({ name, input: ev.state.input, record });
    } else if (ev.type === 'StateExited') {
      // Entered/Exited events of one state execution carry the same input object; pair on that
      // (falling back to the oldest open entry of that state, e.g. for equal primitive Map items).
      let i = open.findIndex((o) => o.name === name && o.input === ev.state.input);
      if (i < 0) i = open.findIndex((o) => o.name === name);
      if (i >= 0) open.splice(i, 1)[0].record.output = ev.state.output ?? null;
    }
  }
})();

let status, output = null, error = null, cause = null;
try {
  output = (await execution.result) ?? null;
  status = 'SUCCEEDED';
} catch (e) {
  if (e instanceof ExecutionAbortedError) {
    status = 'ABORTED';
  } else if (e instanceof ExecutionTimeoutError) {
    status = 'TIMED_OUT';
    error = 'States.Timeout';
    cause = e.message;
  } else if (e instanceof ExecutionError) {
    status = 'FAILED';
    const original = e.cause ?? {}; // the error that ended the execution (= the ExecutionFailed event's)
    error = original.name ?? null;
    cause = original.message ?? null;
    // A Fail state without Error/Cause: the library substitutes these defaults, AWS reports none.
    if (original.constructor?.name === 'FailStateError') {
      if (error === 'FailStateError') error = null;
      if (cause === 'Execution failed because of a Fail state') cause = null;
    }
  } else {
    process.stderr.write(`run-execution: unexpected error: ${e?.stack ?? e}\n`);
    process.exit(2);
  }
}
const durationMs = Math.round(performance.now() - started);
await drained;

const result = {
  status,
  output,
  error,
  cause: cause === null || typeof cause === 'string' ? cause : JSON.stringify(cause),
  events,
  transitions: events.StateEntered ?? 0,
  retries: events.StateRetried ?? 0,
  invocations,
  captured,
  duration_ms: durationMs,
};
// Exit explicitly: a Task that timed out locally may still have a fetch in flight.
process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
