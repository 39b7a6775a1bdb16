#!/usr/bin/env bash
# Run a local moto_server on 127.0.0.1 for the Rust tests and CI.
#
#   eval "$(scripts/moto.sh start)"   # bootstrap .venv, start moto on a free port, export AWS_* for it
#   scripts/moto.sh status            # says whether it runs (exit 0 if it does, 1 if not)
#   scripts/moto.sh stop              # kill the moto_server started by `start` (only that PID)
#
# `start` prints only `export ...` lines on stdout (or `false` if it failed, so the eval fails);
# everything else goes to stderr.
# State lives in .cache/: moto.pid, moto.port, moto.log, moto_recording.jsonl (the recorder's file).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

CACHE=.cache
PID_FILE=$CACHE/moto.pid
PORT_FILE=$CACHE/moto.port
LOG_FILE=$CACHE/moto.log
START_TIMEOUT=${MOTO_START_TIMEOUT:-30}

log() { echo "moto.sh: $*" >&2; }

# PID from the pid file if that process is alive and is a moto_server; empty otherwise.
running_pid() {
    [[ -f "$PID_FILE" ]] || return 0
    local pid
    pid=$(cat "$PID_FILE" 2>/dev/null || true)
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    # guard against a recycled PID: the process must be a moto_server
    if [[ -r /proc/$pid/cmdline ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q moto_server; then
        return 0
    fi
    echo "$pid"
}

print_exports() {
    local port=$1
    echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$port"
    echo "export AWS_REGION=us-east-1"
    echo "export AWS_DEFAULT_REGION=us-east-1"
    echo "export AWS_ACCESS_KEY_ID=testing"
    echo "export AWS_SECRET_ACCESS_KEY=testing"
    echo "export AWS_EC2_METADATA_DISABLED=true"
}

free_port() {
    .venv/bin/python - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# Wait until http://127.0.0.1:PORT/moto-api/ answers; fail if the process dies or the timeout passes.
wait_ready() {
    local pid=$1 port=$2
    .venv/bin/python - "$pid" "$port" "$START_TIMEOUT" <<'EOF'
import os, sys, time, urllib.request, urllib.error
pid, port, timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
url = f"http://127.0.0.1:{port}/moto-api/"
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(2)  # died
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            r.read()
            sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # it answered
    except Exception:
        time.sleep(0.2)
sys.exit(3)  # timed out
EOF
}

cmd_start() {
    local pid
    pid=$(running_pid)
    if [[ -n "$pid" && -f "$PORT_FILE" ]]; then
        local port
        port=$(cat "$PORT_FILE")
        log "already running (pid $pid, port $port)"
        print_exports "$port"
        return 0
    fi
    rm -f "$PID_FILE" "$PORT_FILE"

    scripts/bootstrap-venv.sh >&2
    mkdir -p "$CACHE"

    local attempt port rc
    for attempt in 1 2 3; do
        port=$(free_port)
        : >"$LOG_FILE"
        # stdin/stdout/stderr all redirected so `$(scripts/moto.sh start)` does not wait for the server.
        MOTO_PORT=$port MOTO_RECORDER_FILEPATH="$ROOT/$CACHE/moto_recording.jsonl" \
            nohup .venv/bin/moto_server -H 127.0.0.1 -p "$port" </dev/null >>"$LOG_FILE" 2>&1 &
        pid=$!
        echo "$pid" >"$PID_FILE"
        echo "$port" >"$PORT_FILE"
        rc=0
        wait_ready "$pid" "$port" || rc=$?
        if [[ $rc -eq 0 ]]; then
            log "moto_server running on http://127.0.0.1:$port (pid $pid, log $LOG_FILE)"
            print_exports "$port"
            return 0
        fi
        if [[ $rc -eq 2 ]] && grep -qi 'address already in use' "$LOG_FILE"; then
            log "port $port was taken before moto bound it; retrying ($attempt/3)"
            rm -f "$PID_FILE" "$PORT_FILE"
            continue
        fi
        break
    done

    if [[ $rc -eq 3 ]]; then
        log "moto_server did not answer on http://127.0.0.1:$port/moto-api/ within ${START_TIMEOUT}s"
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    else
        log "moto_server exited during startup"
    fi
    rm -f "$PID_FILE" "$PORT_FILE"
    log "last lines of $LOG_FILE:"
    tail -n 30 "$LOG_FILE" >&2 || true
    return 1
}

cmd_stop() {
    local pid
    pid=$(running_pid)
    if [[ -z "$pid" ]]; then
        log "not running"
        rm -f "$PID_FILE" "$PORT_FILE"
        return 0
    fi
    kill "$pid" 2>/dev/null || true
    local _
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid did not exit after SIGTERM; sending SIGKILL"
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE" "$PORT_FILE"
    log "stopped moto_server (pid $pid)"
}

cmd_status() {
    local pid
    pid=$(running_pid)
    if [[ -n "$pid" ]]; then
        echo "moto_server running: pid $pid, http://127.0.0.1:$(cat "$PORT_FILE" 2>/dev/null || echo '?')"
        return 0
    fi
    echo "moto_server not running"
    return 1
}

case "${1:-}" in
    start)
        # On failure print `false` on stdout, so that `eval "$(scripts/moto.sh start)"` fails too
        # (eval of an empty string would succeed and hide the error).
        cmd_start || {
            echo false
            exit 1
        }
        ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 start|stop|status" >&2
        exit 2
        ;;
esac
