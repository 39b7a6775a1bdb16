#!/usr/bin/env bash
# Create/refresh the Python venv used by the moto test harness.
#
#   scripts/bootstrap-venv.sh
#
# * creates .venv in the repo root (python3 -m venv, python3 from PATH) if it is missing or broken;
# * pip installs tests/harness/requirements.txt when the venv is new or the requirements file changed
#   (its sha256 is kept in .venv/.requirements.sha256);
# * otherwise does nothing (fast path: one sha256sum and one stat).
# Prints exactly one line saying what it did; pip's own output goes to stderr only on failure.
set -euo pipefail

cd "$(dirname "$0")/.."

VENV=.venv
REQ=tests/harness/requirements.txt
STAMP="$VENV/.requirements.sha256"

if [[ ! -f "$REQ" ]]; then
    echo "bootstrap-venv: $REQ not found" >&2
    exit 1
fi

want=$(sha256sum "$REQ" | cut -d' ' -f1)

created=0
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    if ! command -v python3 >/dev/null 2>&1; then
        echo "bootstrap-venv: python3 not found on PATH" >&2
        exit 1
    fi
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    created=1
fi

have=""
[[ -f "$STAMP" ]] && have=$(cat "$STAMP")

if [[ $created -eq 0 && "$have" == "$want" && -x "$VENV/bin/moto_server" ]]; then
    echo "bootstrap-venv: $VENV up to date ($REQ unchanged)"
    exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ" >"$log" 2>&1; then
    cat "$log" >&2
    echo "bootstrap-venv: pip install -r $REQ failed" >&2
    rm -f "$STAMP"
    exit 1
fi
echo "$want" >"$STAMP"

if [[ $created -eq 1 ]]; then
    echo "bootstrap-venv: created $VENV and installed $REQ"
else
    echo "bootstrap-venv: reinstalled $REQ into $VENV (requirements changed)"
fi
