#!/usr/bin/env python3
"""Fault-injecting HTTP proxy between AWS SDK clients and moto_server (loopback only).

    .venv/bin/python tests/harness/fault_proxy.py --upstream http://127.0.0.1:MOTO_PORT [--port 0] [--rules FILE] [-v]

Listens on 127.0.0.1:PORT (0 = a free port) and prints exactly one line on stdout, {"port": N, "pid": P};
logs go to stderr. Point the SDK's endpoint (AWS_ENDPOINT_URL) at http://127.0.0.1:N. Every request is
forwarded to the upstream unchanged (method, path, query, headers including Host, body) and the answer is
relayed (status, headers except hop-by-hop ones, body, with a recomputed Content-Length), unless a rule says
otherwise. Runs until SIGTERM/SIGINT, then exits 0.

Each request is identified as service + action (+ region, access key, account):
  * service and region from the SigV4 credential scope (Authorization: ... Credential=AKID/DATE/REGION/SERVICE/aws4_request);
  * action from X-Amz-Target (JSON protocols: Organizations, Step Functions), else Action= in the form body
    or query string (query protocols: EC2, STS, IAM), else "METHOD /path" (REST protocols);
  * account from an x-moto-account-id header, else decoded from the access key id (moto encodes the owning
    account in every key it issues, e.g. by sts:AssumeRole), else moto's default account 123456789012.

Rules (a JSON list; --rules FILE at start, or PUT /__fault/rules at run time), e.g.
    [{"service": "ec2", "action": "StopInstances", "fault": "throttle", "times": 3, "every": 1, "after": 0}]
A rule fires on the matching requests number after+1 ... after+times (times null or absent = no end), on
every `every`-th of them. Faults: throttle, error, delay, rewrite (EC2 DescribeInstances: report instances as
stopped with a KMS state reason), and bucket: a token bucket per account and region, as EC2 throttles each
API (`capacity` tokens, `refill` per second, each request costing one token, or with `"cost": "instances"`
one per InstanceId.N it names, EC2's resource buckets); a request the bucket cannot pay for is throttled
and costs nothing. See tests/harness/README.md for all fields.

Control endpoints on the same port (never forwarded):
    GET  /__fault/rules       the rule list            PUT /__fault/rules   replace it (resets rule counters)
    GET  /__fault/stats       counters per rule, per service:Action and per account
    GET  /__fault/requests    the last requests (service, action, account, outcome); ?since=SEQ
    POST /__fault/reset       zero all counters and the request log (rules stay, their windows restart)
    GET  /__fault/health      {"ok": true, "upstream": ...}
Requests under /moto-api/ are always forwarded unchanged and not counted.

Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import collections
import gzip
import http.client
import json
import os
import re
import signal
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlsplit
from common import credential_scope

CONTROL_PREFIX = "/__fault/"
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
}
# X-Amz-Target prefix -> SigV4 service name, for requests without a usable Authorization header.
TARGET_PREFIXES = {"AWSOrganizationsV20161128": "organizations", "AWSStepFunctions": "states"}
SERVICE_ALIASES = {"sfn": "states", "stepfunctions": "states", "step-functions": "states", "orgs": "organizations"}
DEFAULT_ACCOUNT = "123456789012"  # moto's default account: keys moto did not issue (e.g. "testing") map to it
# moto.iam.utils.generate_access_key_id_from_account_id: PREFIX + base32(account // 2 + OFFSET, 5 bytes)
# + one character whose alphabet half is the account's parity + random characters.
KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
KEY_ACCOUNT_OFFSET = 549755813888
MAX_LOG = 10000

FAULTS = {"throttle", "error", "delay", "rewrite", "bucket"}
RULE_KEYS = {
    "name", "service", "action", "account", "region", "fault", "times", "every", "after",
    "delay_ms", "status", "code", "message", "instances", "reason", "body_contains",
    "capacity", "refill", "cost",
}  # fmt: skip
INSTANCE_PARAM = re.compile(r"^InstanceId\.\d+$")

# Throttling answers as the services send them, per protocol: (HTTP status, error code, message).
# All codes are in the AWS SDK for Rust's THROTTLING_ERRORS list (aws-runtime, retries/classifiers.rs).
THROTTLE = {
    "ec2": (503, "RequestLimitExceeded", "Request limit exceeded."),
    "query": (400, "Throttling", "Rate exceeded"),
    "organizations": (
        400,
        "TooManyRequestsException",
        "You have sent too many requests in too short a period of time. The quota helps protect against "
        "denial-of-service attacks. Try again later.",
    ),
    "json": (400, "ThrottlingException", "Rate exceeded"),
}
QUERY_NAMESPACES = {
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
}
KMS_REASON_CODE = "Client.InvalidKMSKey.InvalidState"
KMS_REASON_MESSAGE = "Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state"


def log(msg: str) -> None:
    print(f"fault_proxy: {msg}", file=sys.stderr, flush=True)


# -------------------------------------------------------------------------------- identification


def account_from_key(key: str | None) -> str | None:
    """The account moto encoded in an access key id it issued (AKIA/ASIA + 16 chars), else None."""
    if not key or len(key) != 20 or key[:4] not in ("AKIA", "ASIA"):
        return None
    try:
        half = int.from_bytes(base64.b32decode(key[4:12]), "big") - KEY_ACCOUNT_OFFSET
    except (binascii.Error, ValueError):
        return None
    if half < 0 or key[12] not in KEY_ALPHABET:
        return None
    account = half * 2 + (1 if KEY_ALPHABET.index(key[12]) >= 16 else 0)
    return f"{account:012d}" if account < 10**12 else None


def identify(method: str, path: str, headers, body: bytes) -> dict:
    """service, action, region, access_key, account, account_source and protocol of one request."""
    h = {k.lower(): v for k, v in headers.items()}
    url = urlsplit(path)
    query = parse_qs(url.query, keep_blank_values=True)

    access_key, region, service = credential_scope(h.get("authorization", ""), query)

    target = h.get("x-amz-target")
    form: dict[str, list[str]] = {}
    ctype = h.get("content-type", "")
    if not target and body and len(body) < 4 * 1024 * 1024:
        text = body.decode("utf-8", "replace")
        if "x-www-form-urlencoded" in ctype or ("=" in text and not text.lstrip().startswith(("{", "<"))):
            form = parse_qs(text, keep_blank_values=True)
    params = {**query, **form}
    instance_ids = sum(1 for k in params if INSTANCE_PARAM.match(k))

    if target:
        prefix, _, action = target.rpartition(".")
        service = service or TARGET_PREFIXES.get(prefix)
        protocol = "organizations" if service == "organizations" else "json"
        json_version = "1.0" if "json-1.0" in ctype else "1.1"
    elif params.get("Action"):
        action = params["Action"][0]
        if service is None and params.get("Version") == ["2016-11-15"]:
            service = "ec2"  # unsigned EC2 request: the API version gives it away
        protocol = "ec2" if service == "ec2" else "query"
        json_version = None
    else:
        action = f"{method} {url.path or '/'}"
        protocol = "rest"
        json_version = None

    if h.get("x-moto-account-id"):
        account, source = h["x-moto-account-id"], "header"
    elif account_from_key(access_key):
        account, source = account_from_key(access_key), "key"
    else:
        account, source = DEFAULT_ACCOUNT, "default"

    return {
        "service": service or "?",
        "action": action,
        "region": region,
        "access_key": access_key,
        "account": account,
        "account_source": source,
        "protocol": protocol,
        "json_version": json_version,
        # URL-decoded request body, for rules that match on a parameter (e.g. a RoleArn's account).
        "body_text": unquote_plus(body.decode("utf-8", "replace")),
        # EC2 query requests: how many InstanceId.N they name (a resource bucket's cost).
        "instance_ids": instance_ids,
    }


# ---------------------------------------------------------------------------------------- rules


class RuleError(ValueError):
    pass


def _int(rule: dict, key: str, default, minimum: int, allow_null: bool = False):
    v = rule.get(key, default)
    if v is None and allow_null:
        return None
    if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
        raise RuleError(f"'{key}' must be an integer >= {minimum}{' or null' if allow_null else ''}, got {json.dumps(v)}")
    return v


def normalise_rule(i: int, raw) -> dict:
    if not isinstance(raw, dict):
        raise RuleError(f"rule {i}: must be an object")
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise RuleError(f"rule {i}: unknown key(s) {sorted(unknown)}; allowed: {sorted(RULE_KEYS)}")
    try:
        fault = raw.get("fault")
        if fault == "delay_ms":
            fault = "delay"
        if fault not in FAULTS:
            raise RuleError(f"'fault' must be one of {sorted(FAULTS)}, got {json.dumps(raw.get('fault'))}")
        service = raw.get("service", "*")
        action = raw.get("action", "*")
        for k, v in (("service", service), ("action", action)):
            if not isinstance(v, str) or not v:
                raise RuleError(f"'{k}' must be a non-empty string (or \"*\")")
        service = SERVICE_ALIASES.get(service.lower(), service.lower())
        for k in ("account", "region", "name", "code", "message", "reason", "body_contains"):
            if raw.get(k) is not None and not isinstance(raw[k], str):
                raise RuleError(f"'{k}' must be a string")
        rule = {
            "name": raw.get("name"),
            "service": service,
            "action": action,
            "account": raw.get("account"),
            "region": raw.get("region"),
            "body_contains": raw.get("body_contains"),
            "fault": fault,
            "times": _int(raw, "times", None, 0, allow_null=True),
            "every": _int(raw, "every", 1, 1),
            "after": _int(raw, "after", 0, 0),
            "delay_ms": raw.get("delay_ms", 0),
            "status": None,
            "code": raw.get("code"),
            "message": raw.get("message"),
            "instances": None,
            "reason": raw.get("reason"),
        }
        d = rule["delay_ms"]
        if not isinstance(d, (int, float)) or isinstance(d, bool) or d < 0:
            raise RuleError(f"'delay_ms' must be a number >= 0, got {json.dumps(d)}")
        if fault == "delay" and "delay_ms" not in raw:
            raise RuleError("fault 'delay' needs 'delay_ms'")
        if fault in ("throttle", "error") and "status" in raw:
            rule["status"] = _int(raw, "status", None, 100)
            if rule["status"] > 599:
                raise RuleError("'status' must be an HTTP status (100-599)")
        if fault == "error":
            rule["status"] = rule["status"] or 500
            rule["code"] = rule["code"] or "InternalError"
            rule["message"] = rule["message"] or "An internal error has occurred"
        if fault == "rewrite":
            if service != "ec2" or action != "DescribeInstances":
                raise RuleError("fault 'rewrite' only works on service \"ec2\", action \"DescribeInstances\"")
            inst = raw.get("instances")
            if inst is not None and (not isinstance(inst, list) or not all(isinstance(x, str) for x in inst)):
                raise RuleError("'instances' must be a list of instance ids")
            rule["instances"] = inst
            rule["code"] = rule["code"] or KMS_REASON_CODE
            rule["message"] = rule["message"] or KMS_REASON_MESSAGE
            rule["reason"] = rule["reason"] or rule["message"]
        elif "instances" in raw or "reason" in raw:
            raise RuleError("'instances' and 'reason' only apply to fault 'rewrite'")
        if fault == "bucket":
            if any(k in raw for k in ("times", "every", "after")):
                raise RuleError("a 'bucket' rule fires when its bucket is empty: no 'times', 'every' or 'after'")
            cap, refill = raw.get("capacity"), raw.get("refill")
            for k, v, low in (("capacity", cap, 1), ("refill", refill, 0)):
                if not isinstance(v, (int, float)) or isinstance(v, bool) or v < low:
                    raise RuleError(f"fault 'bucket' needs '{k}', a number >= {low}, got {json.dumps(v)}")
            cost = raw.get("cost", "request")
            if cost not in ("request", "instances"):
                raise RuleError(f"'cost' must be \"request\" or \"instances\", got {json.dumps(cost)}")
            rule.update(capacity=float(cap), refill=float(refill), cost=cost, buckets={})
        elif any(k in raw for k in ("capacity", "refill", "cost")):
            raise RuleError("'capacity', 'refill' and 'cost' only apply to fault 'bucket'")
    except RuleError as e:
        raise RuleError(f"rule {i}: {e}") from None
    return rule


def parse_rules(doc) -> list[dict]:
    if isinstance(doc, dict) and set(doc) == {"rules"}:
        doc = doc["rules"]
    if not isinstance(doc, list):
        raise RuleError('rules must be a JSON list (or {"rules": [...]})')
    return [normalise_rule(i, r) for i, r in enumerate(doc)]


def rule_matches(rule: dict, ident: dict) -> bool:
    return (
        rule["service"] in ("*", ident["service"].lower())
        and rule["action"] in ("*", ident["action"])
        and rule["account"] in (None, ident["account"])
        and rule["region"] in (None, ident["region"])
        and (rule["body_contains"] is None or rule["body_contains"] in ident["body_text"])
    )


def rule_fires(rule: dict, n: int) -> bool:
    """n = 1-based number of this matching request for the rule."""
    k = n - rule["after"]
    if k < 1 or (rule["times"] is not None and k > rule["times"]):
        return False
    return k % rule["every"] == 0


class State:
    """Rules and counters; every access holds the lock."""

    def __init__(self, rules: list[dict]):
        self.lock = threading.Lock()
        self.rules: list[dict] = []
        self.set_rules(rules)
        self.reset()

    def set_rules(self, rules: list[dict]) -> None:
        with self.lock:
            self.rules = rules
            self._reset_rule_counters()

    def _reset_rule_counters(self) -> None:
        for r in self.rules:
            r["matched"] = r["fired"] = r["shadowed"] = 0
            if r["fault"] == "bucket":
                r["buckets"] = {}  # (account, region) -> [tokens, monotonic time of the last refill]

    def reset(self) -> None:
        with self.lock:
            self._reset_rule_counters()
            self.actions: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
            self.accounts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
            self.log: collections.deque = collections.deque(maxlen=MAX_LOG)
            self.seq = 0

    def decide(self, ident: dict) -> tuple[float, dict | None, int | None]:
        """Count the request against every matching rule. Returns (total delay in ms, the fault rule to
        apply or None, its index). The first firing throttle/error/rewrite rule wins; later ones that
        would fire too are counted as shadowed. Delays of all firing rules add up."""
        delay, chosen, chosen_i = 0.0, None, None
        with self.lock:
            for i, r in enumerate(self.rules):
                if not rule_matches(r, ident):
                    continue
                r["matched"] += 1
                if r["fault"] == "bucket":
                    if chosen is not None or self._pay(r, ident):
                        continue
                elif not rule_fires(r, r["matched"]):
                    continue
                if r["fault"] == "delay":
                    r["fired"] += 1
                    delay += r["delay_ms"]
                elif chosen is None:
                    r["fired"] += 1
                    delay += r["delay_ms"]
                    chosen, chosen_i = r, i
                else:
                    r["shadowed"] += 1
        return delay, chosen, chosen_i

    @staticmethod
    def _pay(rule: dict, ident: dict) -> bool:
        """Takes the request's cost from its account-region bucket (full at first use, refilled
        continuously up to the capacity); False, and nothing taken, when the bucket is short."""
        now = time.monotonic()
        key = (ident["account"], ident["region"])
        tokens, last = rule["buckets"].get(key, (rule["capacity"], now))
        tokens = min(rule["capacity"], tokens + (now - last) * rule["refill"])
        cost = max(1, ident["instance_ids"]) if rule["cost"] == "instances" else 1
        paid = tokens >= cost
        rule["buckets"][key] = (tokens - cost if paid else tokens, now)
        return paid

    def record(self, ident: dict, outcome: str, status: int, rule_index: int | None, delayed_ms: float) -> None:
        key = f"{ident['service']}:{ident['action']}"
        kind = "faulted" if outcome in ("throttle", "error") else "forwarded"
        with self.lock:
            self.seq += 1
            c = self.actions[key]
            c[kind] += 1
            if outcome == "rewrite":
                c["rewritten"] += 1
            if delayed_ms:
                c["delayed"] += 1
            if outcome == "upstream_error":
                c["upstream_errors"] += 1
            self.accounts[ident["account"]][kind] += 1
            self.log.append(
                {
                    "seq": self.seq,
                    "time": round(time.time(), 3),
                    "service": ident["service"],
                    "action": ident["action"],
                    "region": ident["region"],
                    "access_key": ident["access_key"],
                    "account": ident["account"],
                    "account_source": ident["account_source"],
                    "outcome": outcome,
                    "status": status,
                    "rule": rule_index,
                    "delay_ms": delayed_ms,
                }
            )

    def rules_view(self) -> list[dict]:
        with self.lock:
            return [{k: v for k, v in r.items() if k != "buckets"} for r in self.rules]

    def stats(self) -> dict:
        with self.lock:
            # forwarded + faulted = requests; rewritten/delayed/upstream_errors appear once they occur
            actions = {k: {"forwarded": c["forwarded"], "faulted": c["faulted"], **c} for k, c in sorted(self.actions.items())}
            return {
                "rules": [
                    {"index": i, "name": r["name"], "service": r["service"], "action": r["action"], "fault": r["fault"],
                     "matched": r["matched"], "fired": r["fired"], "shadowed": r["shadowed"]}
                    for i, r in enumerate(self.rules)
                ],  # fmt: skip
                "actions": actions,
                "accounts": {a: {"forwarded": c["forwarded"], "faulted": c["faulted"]} for a, c in sorted(self.accounts.items())},
                "total": {
                    "requests": self.seq,
                    "forwarded": sum(c["forwarded"] for c in self.actions.values()),
                    "faulted": sum(c["faulted"] for c in self.actions.values()),
                },
            }

    def requests(self, since: int) -> list[dict]:
        with self.lock:
            return [e for e in self.log if e["seq"] > since]


# ---------------------------------------------------------------------------------- error shapes


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_response(ident: dict, status: int, code: str, message: str) -> tuple[int, list, bytes]:
    """(status, headers, body) of an AWS error in the protocol of the request."""
    rid = str(uuid.uuid4())
    proto = ident["protocol"]
    if proto == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{_xml_escape(code)}</Code><Message>{_xml_escape(message)}</Message>"
            f"</Error></Errors><RequestID>{rid}</RequestID></Response>"
        )
        return status, [("Content-Type", "text/xml;charset=UTF-8")], body.encode()
    if proto == "query":
        ns = QUERY_NAMESPACES.get(ident["service"])
        xmlns = f' xmlns="{ns}"' if ns else ""
        kind = "Receiver" if status >= 500 else "Sender"
        body = (
            f"<ErrorResponse{xmlns}>\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{_xml_escape(code)}</Code>\n"
            f"    <Message>{_xml_escape(message)}</Message>\n  </Error>\n  <RequestId>{rid}</RequestId>\n</ErrorResponse>\n"
        )
        return status, [("x-amzn-RequestId", rid), ("Content-Type", "text/xml")], body.encode()
    # awsJson1.0 / awsJson1.1 (and a generic JSON shape for REST services)
    version = ident.get("json_version") or "1.1"
    ctype = f"application/x-amz-json-{version}" if proto in ("json", "organizations") else "application/json"
    body = json.dumps({"__type": code, "Message": message})
    return status, [("x-amzn-RequestId", rid), ("x-amzn-ErrorType", code), ("Content-Type", ctype)], body.encode()


def throttle_response(ident: dict, rule: dict) -> tuple[int, list, bytes]:
    proto = ident["protocol"]
    status, code, message = THROTTLE.get(proto, THROTTLE["json"])
    return error_response(ident, rule["status"] or status, rule["code"] or code, rule["message"] or message)


# ----------------------------------------------------------------------------------------- rewrite


def rewrite_describe_instances(body: bytes, rule: dict) -> tuple[bytes, int]:
    """Report the selected instances of a DescribeInstances answer as stopped with a KMS state reason.
    Returns (new body, number of instances changed); the body is returned untouched if none changed."""
    root = ET.fromstring(body)
    ns = root.tag[1 : root.tag.index("}")] if root.tag.startswith("{") else ""

    def q(tag: str) -> str:
        return f"{{{ns}}}{tag}" if ns else tag

    def child(parent: ET.Element, tag: str) -> ET.Element:
        el = parent.find(q(tag))
        if el is None:
            el = ET.SubElement(parent, q(tag))
        return el

    wanted = set(rule["instances"]) if rule["instances"] is not None else None
    changed = 0
    for instances_set in root.iter(q("instancesSet")):
        for item in instances_set.findall(q("item")):
            if wanted is not None and item.findtext(q("instanceId")) not in wanted:
                continue
            state = child(item, "instanceState")
            child(state, "code").text = "80"
            child(state, "name").text = "stopped"
            reason = child(item, "stateReason")
            child(reason, "code").text = rule["code"]
            child(reason, "message").text = rule["message"]
            child(item, "reason").text = rule["reason"]
            changed += 1
    if not changed:
        return body, 0
    # default_namespace keeps xmlns="..." on the root and no ns0: prefixes anywhere.
    text = ET.tostring(root, encoding="unicode", default_namespace=ns or None)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode("utf-8"), changed


# ------------------------------------------------------------------------------------------ server


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the AWS SDKs expect
    server_version = "fault-proxy"
    timeout = 600  # idle keep-alive connections
    server: "ProxyServer"

    def log_message(self, fmt, *args):  # BaseHTTPRequestHandler's own access log
        if self.server.verbose:
            log(f"{self.address_string()} {fmt % args}")

    # -- I/O ---------------------------------------------------------------------------------

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("client closed the connection inside a chunked body")
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()  # CRLF after the chunk
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def reply(self, status: int, headers: list, body: bytes, reason: str | None = None) -> None:
        self.send_response_only(status, reason)
        upstream_length = None
        for k, v in headers:
            lk = k.lower()
            if lk == "content-length":
                upstream_length = v
            elif lk not in HOP_BY_HOP:
                self.send_header(k, v)
        if self.command == "HEAD":
            if upstream_length is not None:
                self.send_header("Content-Length", upstream_length)
        elif status >= 200 and status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body and status not in (204, 304):
            self.wfile.write(body)
        self.wfile.flush()

    def reply_json(self, status: int, doc) -> None:
        self.reply(status, [("Content-Type", "application/json")], (json.dumps(doc, indent=1) + "\n").encode())

    def forward(self, body: bytes) -> tuple[int, str, list, bytes]:
        up = self.server.upstream
        path = self.path
        if "://" in path.split("?", 1)[0]:  # absolute-form request target
            u = urlsplit(path)
            path = u.path + (f"?{u.query}" if u.query else "")
        conn = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=self.server.upstream_timeout)
        try:
            conn.putrequest(self.command, path or "/", skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in HOP_BY_HOP and k.lower() not in ("content-length", "expect"):
                    conn.putheader(k, v)  # Host included, so SigV4 signatures stay valid
            if body or self.command in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, resp.getheaders(), data
        finally:
            conn.close()

    # -- dispatch ----------------------------------------------------------------------------

    def handle_any(self) -> None:
        try:
            body = self.read_body()
        except (ValueError, ConnectionError) as e:
            log(f"bad request body: {e}")
            self.close_connection = True
            self.reply(400, [("Content-Type", "text/plain")], f"fault_proxy: bad request body: {e}\n".encode())
            return
        if self.path.startswith(CONTROL_PREFIX):
            self.control(body)
            return
        if self.path.startswith("/moto-api/"):
            self.passthrough(body, None, None)
            return

        ident = identify(self.command, self.path, self.headers, body)
        delay_ms, rule, rule_i = self.server.state.decide(ident)
        if delay_ms:
            time.sleep(delay_ms / 1000.0)
        if rule is not None and rule["fault"] in ("throttle", "error", "bucket"):
            if rule["fault"] in ("throttle", "bucket"):
                status, headers, data = throttle_response(ident, rule)
            else:
                status, headers, data = error_response(ident, rule["status"], rule["code"], rule["message"])
            outcome = "error" if rule["fault"] == "error" else "throttle"
            self.server.state.record(ident, outcome, status, rule_i, delay_ms)
            log(f"{ident['service']}:{ident['action']} account={ident['account']} -> {rule['fault']} {status} (rule {rule_i})")
            self.reply(status, headers, data)
            return
        self.passthrough(body, ident, rule, rule_i, delay_ms)

    def passthrough(self, body: bytes, ident: dict | None, rule: dict | None, rule_i=None, delay_ms: float = 0) -> None:
        state = self.server.state
        try:
            status, reason, headers, data = self.forward(body)
        except (OSError, http.client.HTTPException) as e:
            log(f"upstream {self.server.upstream.geturl()} failed for {self.command} {self.path}: {e!r}")
            if ident is not None:
                state.record(ident, "upstream_error", 502, None, delay_ms)
            self.reply(502, [("Content-Type", "text/plain")], f"fault_proxy: upstream error: {e!r}\n".encode())
            return
        outcome = "forwarded"
        if ident is not None and rule is not None and rule["fault"] == "rewrite" and status == 200:
            try:
                encoding = next((v for k, v in headers if k.lower() == "content-encoding"), "").lower()
                if encoding == "gzip":
                    data = gzip.decompress(data)
                    headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
                elif encoding not in ("", "identity"):
                    raise ValueError(f"cannot rewrite a {encoding}-encoded body")
                data, n = rewrite_describe_instances(data, rule)
                if n:
                    outcome = "rewrite"
                    log(f"ec2:DescribeInstances account={ident['account']} -> rewrote {n} instance(s) (rule {rule_i})")
            except (ET.ParseError, ValueError, OSError) as e:
                log(f"rewrite failed, answer relayed unchanged: {e}")
        if ident is not None:
            state.record(ident, outcome, status, rule_i if outcome == "rewrite" else None, delay_ms)
            if self.server.verbose:
                log(f"{ident['service']}:{ident['action']} account={ident['account']} -> {status}")
        self.reply(status, headers, data, reason)

    def control(self, body: bytes) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        what = url.path[len(CONTROL_PREFIX) :].strip("/")
        method = self.command
        if what == "rules" and method == "GET":
            self.reply_json(200, state.rules_view())
        elif what == "rules" and method in ("PUT", "POST"):
            try:
                rules = parse_rules(json.loads(body or b"null"))
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                self.reply_json(400, {"error": f"body is not JSON: {e}"})
                return
            except RuleError as e:
                self.reply_json(400, {"error": str(e)})
                return
            state.set_rules(rules)
            log(f"rules replaced: {len(rules)} rule(s)")
            self.reply_json(200, {"rules": len(rules)})
        elif what == "stats" and method == "GET":
            self.reply_json(200, state.stats())
        elif what == "requests" and method == "GET":
            try:
                since = int(parse_qs(url.query).get("since", ["0"])[0])
            except ValueError:
                self.reply_json(400, {"error": "since must be an integer"})
                return
            self.reply_json(200, state.requests(since))
        elif what == "reset" and method == "POST":
            state.reset()
            self.reply_json(200, {"reset": True})
        elif what == "health" and method == "GET":
            self.reply_json(200, {"ok": True, "upstream": self.server.upstream.geturl(), "pid": os.getpid()})
        else:
            self.reply_json(404, {"error": f"no control endpoint {method} {url.path}"})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = handle_any


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):  # e.g. the client hung up: one line, no traceback
        log(f"connection from {client_address[0]}:{client_address[1]}: {sys.exc_info()[1]!r}")

    def __init__(self, addr, upstream: str, state: State, verbose: bool, upstream_timeout: float):
        super().__init__(addr, Handler)
        self.upstream = urlsplit(upstream)
        self.state = state
        self.verbose = verbose
        self.upstream_timeout = upstream_timeout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", required=True, help="moto_server URL, e.g. http://127.0.0.1:5000")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 to listen on (0 = a free one)")
    ap.add_argument("--rules", metavar="FILE", help="JSON file with the initial rule list")
    ap.add_argument("--upstream-timeout", type=float, default=300.0, help="seconds to wait for the upstream")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every request, not only faults")
    args = ap.parse_args()

    upstream = urlsplit(args.upstream)
    if upstream.scheme != "http" or not upstream.hostname:
        log(f"--upstream must be an http:// URL, got {args.upstream!r}")
        return 2
    rules: list[dict] = []
    if args.rules:
        try:
            with open(args.rules) as f:
                rules = parse_rules(json.load(f))
        except (OSError, json.JSONDecodeError, RuleError) as e:
            log(f"bad --rules file {args.rules}: {e}")
            return 2

    try:
        server = ProxyServer(("127.0.0.1", args.port), args.upstream.rstrip("/"), State(rules), args.verbose,
                             args.upstream_timeout)  # fmt: skip
    except OSError as e:
        log(f"cannot listen on 127.0.0.1:{args.port}: {e}")
        return 1
    port = server.server_address[1]

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    worker.start()
    print(json.dumps({"port": port, "pid": os.getpid()}), flush=True)
    log(f"listening on http://127.0.0.1:{port}, upstream {args.upstream}, {len(rules)} rule(s)")
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
