#!/usr/bin/env python3
"""Count the AWS API calls that reach a moto_server, using moto's built-in recorder.

    .venv/bin/python tests/harness/calls.py --endpoint URL start   # reset + start the recorder
    ... run the code under test ...
    .venv/bin/python tests/harness/calls.py --endpoint URL stop    # stop recording
    .venv/bin/python tests/harness/calls.py --endpoint URL dump    # print a JSON summary of the recording

`start` and `stop` print {"recording": true|false}; `dump` prints {"total": N, "by_action": {"ec2:StopInstances": 3, ...}, "mutating": [{"service", "action",
"account", "region", "instance_ids"}, ...]} (the run digest's events:PutEvents and sns:Publish, and the hub's writes of its own items
to its results bucket, s3:PutObject, are counted in by_action, never as mutating). Service and region come from the SigV4 credential scope; the
action from X-Amz-Target (JSON protocols), else Action= in the form body or query string (query protocols),
else "METHOD /path" (REST protocols; S3 object requests by their API name: GetObject, PutObject). `account` is the x-moto-account-id header if the request had one,
else the account moto attributes to the request's access key (asked from moto with sts:GetCallerIdentity
signed with that key; those look-up calls are removed from the recording again), else null.

Standard library only, so any python3 can run it.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import re
import select
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from urllib.parse import parse_qs, urlencode, urlparse
from common import credential_scope

MUTATING_EXACT = {
    ("ec2", "StartInstances"),
    ("ec2", "StopInstances"),
    ("ec2", "TerminateInstances"),
    ("ec2", "RebootInstances"),
    ("ec2", "CreateTags"),
    ("ec2", "DeleteTags"),
}
MUTATING_PREFIXES = ("Start", "Stop", "Create", "Delete", "Put", "Modify", "Terminate", "Run", "Tag", "Untag")
# The run digest (summarize-run, docs/digest.md): a notification, not a change to anything the
# scheduler manages; counted in by_action like every call, never in "mutating".
NOTIFICATIONS = {("events", "PutEvents"), ("sns", "Publish")}
# The state machine's own items in the hub's results bucket (the account list, a start run's
# verification items; ADR 0012): bookkeeping of the run, not a change to anything scheduled.
HUB_ITEMS = {("s3", "PutObject")}
S3_OBJECT_CALLS = {"GET": "GetObject", "PUT": "PutObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}
ID_PARAM_RE = re.compile(r"^(?:InstanceId|ResourceId)\.(\d+)$")
# Marks this script's own GetCallerIdentity look-ups so they can be dropped from the recording.
MARKER_HEADER = "X-Uptime-Harness"
MARKER_VALUE = "calls-py-account-lookup"


class MotoError(Exception):
    pass


def log(msg: str) -> None:
    print(f"calls: {msg}", file=sys.stderr, flush=True)


def http(endpoint: str, path: str, method: str = "GET", data: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(endpoint + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except urllib.error.URLError as e:
        raise MotoError(f"cannot reach {endpoint}: {e.reason}") from None


def recorder(endpoint: str, op: str) -> None:
    status, body = http(endpoint, f"/moto-api/recorder/{op}", "POST", b"")
    if status != 200:
        raise MotoError(f"POST /moto-api/recorder/{op} answered HTTP {status}: {body[:200]!r}")


def download(endpoint: str) -> str:
    status, body = http(endpoint, "/moto-api/recorder/download-recording")
    if status != 200:
        # moto answers 500 when the recording file does not exist yet (recorder never reset/started)
        log(f"download-recording answered HTTP {status}; treating the recording as empty (was `start` run?)")
        return ""
    return body.decode("utf-8", "replace")


# ------------------------------------------------------------------------------------------- parse


def parse_entry(entry: dict) -> dict:
    headers = {str(k).lower(): str(v) for k, v in (entry.get("headers") or {}).items()}
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        try:
            body = base64.b64decode(body).decode("utf-8", "replace")
        except ValueError:
            body = ""
    url = entry.get("url") or ""
    parsed_url = urlparse(url)
    query = parse_qs(parsed_url.query, keep_blank_values=True)

    access_key, region, service = credential_scope(headers.get("authorization", ""), query)

    form: dict[str, list[str]] = {}
    ctype = headers.get("content-type", "")
    if "x-www-form-urlencoded" in ctype or (body and "=" in body and not body.lstrip().startswith(("{", "<"))):
        form = parse_qs(body, keep_blank_values=True)
    params = {**query, **form}

    if "x-amz-target" in headers:
        action = headers["x-amz-target"].split(".")[-1]
    elif params.get("Action"):
        action = params["Action"][0]
    elif service == "s3" and parsed_url.path.strip("/").count("/") >= 1 and entry.get("method") in S3_OBJECT_CALLS:
        # An object (path-style /bucket/key): named as the API names it, not by its key, so that
        # a run's reads and writes of its own items count as one action each.
        action = S3_OBJECT_CALLS[entry["method"]]
    else:
        action = f"{entry.get('method', '?')} {parsed_url.path or '/'}"

    indexed = []
    for k, vals in params.items():
        im = ID_PARAM_RE.match(k)
        if im and vals and vals[0].startswith("i-"):
            indexed.append((int(im.group(1)), vals[0]))
    instance_ids = [v for _, v in sorted(indexed)]

    return {
        "service": service,
        "action": action,
        "region": region,
        "access_key": access_key,
        "account_header": headers.get("x-moto-account-id"),
        "marker": headers.get(MARKER_HEADER.lower()) == MARKER_VALUE,
        "instance_ids": instance_ids,
    }


def is_mutating(service: str | None, action: str) -> bool:
    if (service, action) in NOTIFICATIONS or (service, action) in HUB_ITEMS:
        return False
    return (service, action) in MUTATING_EXACT or action.startswith(MUTATING_PREFIXES)


# ------------------------------------------------------------------------------ account look-ups


def caller_account(endpoint: str, access_key: str) -> str | None:
    """Ask moto which account it attributes to this access key (moto does not check signatures
    unless IAM enforcement is on; then this fails and the account stays unknown)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    body = urlencode({"Action": "GetCallerIdentity", "Version": "2011-06-15"}).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "X-Amz-Date": now.strftime("%Y%m%dT%H%M%SZ"),
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential={access_key}/{now:%Y%m%d}/us-east-1/sts/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, Signature=" + "0" * 64
        ),
        MARKER_HEADER: MARKER_VALUE,
    }
    status, resp = http(endpoint, "/", "POST", body, headers)
    if status != 200:
        return None
    m = re.search(rb"<Account>(\d{12})</Account>", resp)
    return m.group(1).decode() if m else None


def resolve_accounts(endpoint: str, keys: set[str], original: str) -> dict[str, str | None]:
    result = {k: caller_account(endpoint, k) for k in sorted(keys)}
    # If the recorder is still running, our look-ups were recorded: put the recording back without them
    # (keeping anything else that arrived meanwhile).
    after = download(endpoint)
    if after != original:
        kept, dropped = [], 0
        for line in after.splitlines():
            if not line.strip():
                continue
            try:
                if parse_entry(json.loads(line))["marker"]:
                    dropped += 1
                    continue
            except (json.JSONDecodeError, AttributeError):
                pass
            kept.append(line)
        if dropped:
            data = ("\n".join(kept) + "\n") if kept else ""
            # not form-encoded: moto reads the raw body (Flask's request.data), which is empty for form posts
            status, body = http(
                endpoint,
                "/moto-api/recorder/upload-recording",
                "POST",
                data.encode(),
                {"Content-Type": "application/octet-stream"},
            )
            if status != 200:
                log(f"could not remove {dropped} look-up call(s) from the recording: HTTP {status}")
    return result


# ------------------------------------------------------------------------------------------ dump


def summarise(endpoint: str, raw: str, resolve: bool = True) -> dict:
    entries = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            e = parse_entry(json.loads(line))
        except (json.JSONDecodeError, AttributeError) as ex:
            log(f"skipping unreadable recording line {n}: {ex}")
            continue
        if e["marker"]:
            continue
        entries.append(e)

    by_action = Counter(f"{e['service'] or '?'}:{e['action']}" for e in entries)
    mutating = [e for e in entries if is_mutating(e["service"], e["action"])]

    keys = {e["access_key"] for e in mutating if e["access_key"] and not e["account_header"]}
    accounts = resolve_accounts(endpoint, keys, raw) if (keys and resolve) else {}

    return {
        "total": len(entries),
        "by_action": dict(sorted(by_action.items())),
        "mutating": [
            {
                "service": e["service"],
                "action": e["action"],
                "account": e["account_header"] or accounts.get(e["access_key"] or ""),
                "region": e["region"],
                "instance_ids": e["instance_ids"],
            }
            for e in mutating
        ],
    }


def drain_stdin(timeout: float = 2.0) -> None:
    """Read and ignore whatever a caller pipes in (the Rust test kit writes `null` to every script), so
    it never gets EPIPE; never blocks on a terminal, and gives up on an idle open pipe after `timeout`."""
    try:
        if sys.stdin is None or sys.stdin.isatty():
            return
        fd = sys.stdin.fileno()
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return
        if not os.read(fd, 65536):
            return  # EOF


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", required=True, help="moto_server URL, e.g. http://127.0.0.1:5000")
    ap.add_argument("command", choices=["start", "stop", "dump"])
    ap.add_argument("--raw", metavar="FILE", help="dump: also write the raw recording (JSON lines) to FILE")
    ap.add_argument("--no-accounts", action="store_true", help="dump: do not ask moto for accounts (account: null)")
    args = ap.parse_args()
    endpoint = args.endpoint.rstrip("/")
    try:
        drain_stdin()
        if args.command == "start":
            recorder(endpoint, "reset-recording")
            recorder(endpoint, "start-recording")
            log("recorder reset and started")
            print(json.dumps({"recording": True}))
        elif args.command == "stop":
            recorder(endpoint, "stop-recording")
            log("recorder stopped")
            print(json.dumps({"recording": False}))
        else:
            raw = download(endpoint)
            if args.raw:
                with open(args.raw, "w") as f:
                    f.write(raw)
            json.dump(summarise(endpoint, raw, resolve=not args.no_accounts), sys.stdout, indent=1)
            sys.stdout.write("\n")
    except MotoError as e:
        log(str(e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
