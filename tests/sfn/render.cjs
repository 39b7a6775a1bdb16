// Render the `${name}` placeholders of a state-machine definition template, the way Terraform's
// templatefile() would, so the same file can be executed (run-execution.mjs) and validated
// (validate.cjs) locally. Shared by both scripts.
//
// * `${name}` where `name` is given in `vars` → that value, inserted verbatim (like templatefile);
// * `${something_arn}` otherwise → arn:aws:lambda:<region>:<account>:function:<something with _ → ->
//   (e.g. `list_accounts_arn` → function `list-accounts`);
// * any other `${name}` → `fallback(name)` if a fallback is given, else it is reported as missing;
// * `$${` is templatefile's escape for a literal `${`.
// Only plain identifiers are supported inside `${…}`; anything else (e.g. `${...}` in a Comment) is
// reported in `invalid`: templatefile() would reject or evaluate it, so write `$${` for a literal.
'use strict';

const PLACEHOLDER = /\$(\$?)\{([^}]*)\}/g;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function lambdaFunctionName(placeholder) {
  return placeholder.replace(/_arn$/, '').replace(/_/g, '-');
}

function lambdaArn(placeholder, region, account) {
  return `arn:aws:lambda:${region}:${account}:function:${lambdaFunctionName(placeholder)}`;
}

/**
 * @param {string} text template text
 * @param {{vars?: Record<string,string>, region?: string, account?: string,
 *          fallback?: (name: string) => string}} opts
 * @returns {{text: string, missing: string[], invalid: string[]}} `missing`: placeholders with no
 *          value (sorted, unique); `invalid`: `${…}` bodies that are not plain identifiers.
 */
function render(text, opts = {}) {
  const { vars = {}, region = 'us-east-1', account = '000000000000', fallback } = opts;
  const missing = new Set();
  const invalid = new Set();
  const out = text.replace(PLACEHOLDER, (whole, escape, name) => {
    if (escape) return whole.slice(1); // `$${x}` → literal `${x}`
    if (!IDENT.test(name)) {
      invalid.add(name);
      return whole;
    }
    if (Object.hasOwn(vars, name)) return vars[name];
    if (name.endsWith('_arn')) return lambdaArn(name, region, account);
    if (fallback) return fallback(name);
    missing.add(name);
    return whole;
  });
  return { text: out, missing: [...missing].sort(), invalid: [...invalid].sort() };
}

module.exports = { render, lambdaArn, lambdaFunctionName };
