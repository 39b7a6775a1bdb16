#!/usr/bin/env python3
"""Self-test for fault_proxy.py: starts its own moto_server and proxy, checks them with boto3, stops both.

    .venv/bin/python tests/harness/fault_proxy_check.py [-v]

Prints one line per check (PASS/FAIL name: detail) and exits 1 if any check failed (2 if moto or the proxy
did not start). moto_server runs on a free 127.0.0.1 port with its working directory and recorder file in a
temporary directory; both processes are stopped by PID at the end. boto3 is configured not to retry
(total_max_attempts 1), so each call is exactly one request through the proxy.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
PROXY = os.path.join(HERE, "fault_proxy.py")
REGION = "us-east-1"
MANAGEMENT = "123456789012"
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=20, read_timeout=120)
START_TIMEOUT = float(os.environ.get("MOTO_START_TIMEOUT", "30"))
VERBOSE = "-v" in sys.argv[1:]

results: list[bool] = []


def check(name: str, ok: bool, detail: str = "") -> bool:
    results.append(bool(ok))
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
    return bool(ok)


def note(msg: str) -> None:
    print(f"fault_proxy_check: {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------ processes


def free_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_call(url: str, method: str = "GET", data: bytes | None = None, headers: dict | None = None, timeout=30):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def start_moto(tmp: str) -> tuple[subprocess.Popen, str]:
    exe = os.path.join(os.path.dirname(sys.executable), "moto_server")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "moto.server"]
    log_path = os.path.join(tmp, "moto.log")
    for attempt in range(1, 4):
        port = free_port()
        env = dict(os.environ, MOTO_PORT=str(port), MOTO_RECORDER_FILEPATH=os.path.join(tmp, "moto_recording.jsonl"))
        with open(log_path, "w") as log:
            proc = subprocess.Popen(cmd + ["-H", "127.0.0.1", "-p", str(port)], cwd=tmp, env=env,
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                http_call(url + "/moto-api/", timeout=2)
                note(f"moto_server pid {proc.pid} on {url}")
                return proc, url
            except OSError:
                time.sleep(0.2)
        stop_process(proc, "moto_server")
        with open(log_path) as f:
            tail = f.read()[-2000:]
        if "address already in use" in tail.lower() and attempt < 3:
            continue
        raise RuntimeError(f"moto_server did not start on {url}; log tail:\n{tail}")
    raise RuntimeError("moto_server did not start")


def start_proxy(upstream: str, tmp: str) -> tuple[subprocess.Popen, str, dict]:
    err = open(os.path.join(tmp, "proxy.log"), "w")
    cmd = [sys.executable, PROXY, "--upstream", upstream, "--port", "0"] + (["-v"] if VERBOSE else [])
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True)
    err.close()
    ready, _, _ = select.select([proc.stdout], [], [], 15)
    line = proc.stdout.readline() if ready else ""
    if not line:
        stop_process(proc, "fault_proxy")
        raise RuntimeError("fault_proxy printed no start-up line within 15 s")
    info = json.loads(line)
    return proc, f"http://127.0.0.1:{info['port']}", info


def stop_process(proc: subprocess.Popen, name: str) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            note(f"{name} (pid {proc.pid}) ignored SIGTERM; killing it")
            proc.kill()
            proc.wait(5)
    return proc.returncode


# ---------------------------------------------------------------------------------------- helpers


class Proxy:
    def __init__(self, url: str):
        self.url = url

    def control(self, method: str, what: str, doc=None):
        data = json.dumps(doc).encode() if doc is not None else (b"" if method != "GET" else None)
        status, body = http_call(f"{self.url}/__fault/{what}", method, data, {"Content-Type": "application/json"})
        return status, json.loads(body) if body else None

    def rules(self, rules: list) -> None:
        status, body = self.control("PUT", "rules", rules)
        if status != 200:
            raise RuntimeError(f"PUT /__fault/rules answered {status}: {body}")

    def reset(self) -> None:
        self.control("POST", "reset")

    def stats(self) -> dict:
        return self.control("GET", "stats")[1]

    def requests(self) -> list:
        return self.control("GET", "requests")[1]


def client(service: str, endpoint: str, creds: dict | None = None, region: str = REGION):
    return boto3.session.Session().client(service, region_name=region, endpoint_url=endpoint, config=NO_RETRY,
                                          **(creds or CREDS))  # fmt: skip


def call(fn, **kw):
    """(True, response) or (False, ClientError)."""
    try:
        return True, fn(**kw)
    except ClientError as e:
        return False, e


def err_code(e) -> str:
    return e.response.get("Error", {}).get("Code") if isinstance(e, ClientError) else f"no error ({type(e).__name__})"


def http_status(r) -> int | None:
    resp = r.response if isinstance(r, ClientError) else r
    return resp.get("ResponseMetadata", {}).get("HTTPStatusCode")


def raw_query(base: str, service: str, body: str, chunked: bool = False, conn=None):
    """A form-encoded query-protocol request (moto does not check signatures unless IAM auth is on)."""
    u = base.split("://", 1)[1]
    host, port = u.split(":")
    own = conn is None
    conn = conn or http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
        "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/{time.strftime('%Y%m%d', time.gmtime())}/{REGION}/"
        f"{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature={'0' * 64}",
    }
    if chunked:
        conn.putrequest("POST", "/")
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        data = body.encode()
        for i in range(0, len(data), 7):  # several small chunks
            piece = data[i : i + 7]
            conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        conn.send(b"0\r\n\r\n")
    else:
        conn.request("POST", "/", body=body.encode(), headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    result = (resp.status, resp.getheaders(), data, resp.version)
    if own:
        conn.close()
    return result


ID_RE = re.compile(rb"<(requestId|RequestId|RequestID)>[^<]*</\1>")
VOLATILE_HEADERS = {"date", "x-amzn-requestid", "connection", "keep-alive", "content-length"}


def comparable(status, headers, body):
    hs = sorted((k.lower(), v) for k, v in headers if k.lower() not in VOLATILE_HEADERS)
    return status, hs, ID_RE.sub(b"", body)


def instance_states(ec2, ids) -> dict:
    out = {}
    for r in ec2.describe_instances(InstanceIds=ids)["Reservations"]:
        for i in r["Instances"]:
            out[i["InstanceId"]] = i
    return out


# ----------------------------------------------------------------------------------------- checks


def run_checks(moto: str, proxy_url: str, info: dict, proxy_proc: subprocess.Popen) -> None:
    px = Proxy(proxy_url)
    check("startup line", info.get("pid") == proxy_proc.pid and isinstance(info.get("port"), int),
          f'{{"port": {info.get("port")}, "pid": {info.get("pid")}}}')  # fmt: skip

    # --- setup directly against moto: two running instances
    ec2_direct = client("ec2", moto)
    ami = ec2_direct.describe_images(Filters=[{"Name": "name", "Values": ["al2023-ami-*"]}])["Images"][0]["ImageId"]
    ids = [i["InstanceId"] for i in ec2_direct.run_instances(ImageId=ami, MinCount=2, MaxCount=2)["Instances"]]
    target, other = ids
    ec2 = client("ec2", proxy_url)

    # --- pass-through, no rules
    direct = comparable(*raw_query(moto, "ec2", "Action=DescribeInstances&Version=2016-11-15")[:3])
    proxied = comparable(*raw_query(proxy_url, "ec2", "Action=DescribeInstances&Version=2016-11-15")[:3])
    check("passthrough raw DescribeInstances", direct == proxied and direct[0] == 200,
          f"status {proxied[0]}, {len(proxied[2])} body bytes and {len(proxied[1])} headers identical to moto's "
          "(request ids and Date aside)" if direct == proxied else f"direct {direct[:2]} vs proxied {proxied[:2]}")  # fmt: skip
    a = ec2_direct.describe_instances()["Reservations"]
    b = ec2.describe_instances()["Reservations"]
    check("passthrough boto3 DescribeInstances", a == b, f"{sum(len(r['Instances']) for r in b)} instances, parsed answers equal")

    # --- throttle ec2:StopInstances twice, then pass
    px.reset()
    px.rules([{"service": "ec2", "action": "StopInstances", "fault": "throttle", "times": 2}])
    outcomes = [call(ec2.stop_instances, InstanceIds=[target]) for _ in range(3)]
    desc = ", ".join("ok" if ok else f"{err_code(r)}/{http_status(r)}" for ok, r in outcomes)
    check("ec2 StopInstances throttle times 2",
          [ok for ok, _ in outcomes] == [False, False, True]
          and all(err_code(r) == "RequestLimitExceeded" and http_status(r) == 503 for _, r in outcomes[:2])
          and outcomes[2][1]["StoppingInstances"][0]["InstanceId"] == target,
          desc)  # fmt: skip
    st = px.stats()
    rule0 = st["rules"][0]
    act = st["actions"].get("ec2:StopInstances", {})
    check("stats count the throttled calls",
          (rule0["matched"], rule0["fired"]) == (3, 2) and (act.get("forwarded"), act.get("faulted")) == (1, 2)
          and st["total"] == {"requests": 3, "forwarded": 1, "faulted": 2},
          f"rule matched {rule0['matched']} fired {rule0['fired']}; ec2:StopInstances forwarded {act.get('forwarded')} "
          f"faulted {act.get('faulted')}")  # fmt: skip

    # --- throttles in the other protocols
    px.rules([
        {"service": "organizations", "action": "ListAccounts", "fault": "throttle", "times": 1},
        {"service": "sts", "action": "AssumeRole", "fault": "throttle", "times": 1},
        {"service": "iam", "action": "ListRoles", "fault": "throttle", "times": 1},
        {"service": "stepfunctions", "action": "ListStateMachines", "fault": "throttle", "times": 1},
    ])  # fmt: skip
    client("organizations", moto).create_organization(FeatureSet="ALL")
    org = client("organizations", proxy_url)
    ok1, r1 = call(org.list_accounts)
    ok2, _ = call(org.list_accounts)
    check("organizations ListAccounts throttle",
          not ok1 and isinstance(r1, org.exceptions.TooManyRequestsException) and http_status(r1) == 400 and ok2,
          f"{err_code(r1)}/{http_status(r1)} (modeled exception: {type(r1).__name__}), then ok={ok2}")  # fmt: skip
    sts = client("sts", proxy_url)
    member = client("organizations", moto).create_account(AccountName="member", Email="member@example.com")[
        "CreateAccountStatus"]["AccountId"]  # fmt: skip
    role = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    ok1, r1 = call(sts.assume_role, RoleArn=role, RoleSessionName="check")
    ok2, r2 = call(sts.assume_role, RoleArn=role, RoleSessionName="check")
    check("sts AssumeRole throttle", not ok1 and err_code(r1) == "Throttling" and http_status(r1) == 400 and ok2,
          f"{err_code(r1)}/{http_status(r1)} \"{r1.response['Error'].get('Message') if not ok1 else ''}\", then ok={ok2}")
    iam = client("iam", proxy_url)
    ok1, r1 = call(iam.list_roles)
    check("iam ListRoles throttle", not ok1 and err_code(r1) == "Throttling" and http_status(r1) == 400,
          f"{err_code(r1)}/{http_status(r1)}")
    sfn = client("stepfunctions", proxy_url)
    ok1, r1 = call(sfn.list_state_machines)
    ok2, _ = call(sfn.list_state_machines)
    check("stepfunctions ListStateMachines throttle",
          not ok1 and err_code(r1) == "ThrottlingException" and http_status(r1) == 400 and ok2,
          f"{err_code(r1)}/{http_status(r1)}, then ok={ok2}")  # fmt: skip

    # --- error fault
    px.rules([{"service": "ec2", "action": "StartInstances", "fault": "error", "status": 403,
               "code": "UnauthorizedOperation", "message": "You are not authorized to perform this operation."}])  # fmt: skip
    ok1, r1 = call(ec2.start_instances, InstanceIds=[target])
    check("ec2 error fault", not ok1 and err_code(r1) == "UnauthorizedOperation" and http_status(r1) == 403,
          f"{err_code(r1)}/{http_status(r1)}")
    state_now = instance_states(ec2_direct, [target])[target]["State"]["Name"]
    check("faulted call never reached moto", state_now == "stopped", f"instance still {state_now}")

    # --- rewrite: a started instance looks stopped with the KMS state reason
    px.rules([])
    ec2.start_instances(InstanceIds=[target])
    px.rules([{"service": "ec2", "action": "DescribeInstances", "fault": "rewrite", "instances": [target]}])
    seen = instance_states(ec2, ids)
    t = seen[target]
    check("rewrite marks the listed instance stopped",
          t["State"] == {"Code": 80, "Name": "stopped"}
          and t.get("StateReason", {}).get("Code") == "Client.InvalidKMSKey.InvalidState"
          and t.get("StateTransitionReason", "").startswith("Client.InvalidKMSKey.InvalidState")
          and seen[other]["State"]["Name"] == "running",
          f"{target}: {t['State']['Name']}/{t['State']['Code']}, StateReason {t.get('StateReason')}; "
          f"{other}: {seen[other]['State']['Name']}")  # fmt: skip
    really = instance_states(ec2_direct, [target])[target]["State"]["Name"]
    check("rewrite leaves moto's state alone", really == "running", f"moto says {really}")
    status, headers, body, _ = raw_query(proxy_url, "ec2", f"Action=DescribeInstances&Version=2016-11-15&InstanceId.1={target}")
    check("rewritten XML keeps the default namespace",
          status == 200 and b"ns0:" not in body and re.search(rb"<DescribeInstancesResponse xmlns=\"http://ec2", body)
          and int(dict((k.lower(), v) for k, v in headers)["content-length"]) == len(body),
          f"{body[:110].decode(errors='replace')!r}...")  # fmt: skip
    px.rules([{"service": "ec2", "action": "DescribeInstances", "fault": "rewrite",
               "code": "Server.InternalError", "message": "Server.InternalError: Internal error on launch"}])  # fmt: skip
    seen = instance_states(ec2, ids)
    check("rewrite without 'instances' hits all, custom reason",
          all(i["State"]["Name"] == "stopped" and i["StateReason"]["Code"] == "Server.InternalError" for i in seen.values()),
          ", ".join(f"{k}: {v['State']['Name']}" for k, v in seen.items()))  # fmt: skip

    # --- delay
    px.rules([{"service": "sts", "action": "GetCallerIdentity", "fault": "delay", "delay_ms": 400}])
    t0 = time.monotonic()
    sts.get_caller_identity()
    slow = time.monotonic() - t0
    px.rules([])
    t0 = time.monotonic()
    sts.get_caller_identity()
    fast = time.monotonic() - t0
    check("delay_ms", slow >= 0.4 and fast < slow, f"{slow * 1000:.0f} ms with the rule, {fast * 1000:.0f} ms without")

    # --- token buckets per account and region (EC2's request and resource buckets)
    px.rules([{"name": "starts", "service": "ec2", "action": "DescribeRegions", "fault": "bucket", "capacity": 2, "refill": 0}])
    burst = ["ok" if call(ec2.describe_regions)[0] else "T" for _ in range(3)]
    other_region = client("ec2", proxy_url, region="eu-west-1")
    elsewhere = call(other_region.describe_regions)[0]
    check("bucket: capacity 2, no refill", burst == ["ok", "ok", "T"] and elsewhere,
          f"{' '.join(burst)}; another region has its own bucket: {'ok' if elsewhere else 'T'}")  # fmt: skip
    px.rules([{"service": "ec2", "action": "DescribeRegions", "fault": "bucket", "capacity": 1, "refill": 5}])
    first, second = call(ec2.describe_regions)[0], call(ec2.describe_regions)[0]
    time.sleep(0.3)
    later = call(ec2.describe_regions)[0]
    check("bucket: refill", first and not second and later, f"{first}, {second}, after 0.3 s at 5/s {later}")
    px.rules([{"service": "ec2", "action": "StopInstances", "fault": "bucket", "capacity": 3, "refill": 0, "cost": "instances"}])
    two = call(ec2.stop_instances, InstanceIds=[target, other])
    two_more = call(ec2.stop_instances, InstanceIds=[target, other])
    one = call(ec2.stop_instances, InstanceIds=[target])
    check("bucket: cost per instance", two[0] and not two_more[0] and err_code(two_more[1]) == "RequestLimitExceeded" and one[0],
          "2 of 3 tokens, then 2 more refused (RequestLimitExceeded) and nothing taken, then 1")  # fmt: skip
    bad = http_call(f"{proxy_url}/__fault/rules", "PUT", json.dumps([{"fault": "bucket", "capacity": 1}]).encode())
    bad2 = http_call(f"{proxy_url}/__fault/rules", "PUT",
                     json.dumps([{"fault": "bucket", "capacity": 1, "refill": 1, "times": 2}]).encode())  # fmt: skip
    check("bucket: malformed rules refused", bad[0] == 400 and bad2[0] == 400, f"HTTP {bad[0]}, {bad2[0]}")
    px.rules([])

    # --- after / every window
    px.rules([{"service": "ec2", "action": "DescribeRegions", "fault": "throttle", "after": 1, "every": 2, "times": 4}])
    pattern = ["ok" if call(ec2.describe_regions)[0] else "T" for _ in range(7)]
    check("after 1, every 2, times 4", pattern == ["ok", "ok", "T", "ok", "T", "ok", "ok"], " ".join(pattern))

    # --- account per request
    px.rules([])
    px.reset()
    cr = client("sts", moto).assume_role(RoleArn=role, RoleSessionName="check")["Credentials"]
    member_creds = {"aws_access_key_id": cr["AccessKeyId"], "aws_secret_access_key": cr["SecretAccessKey"],
                    "aws_session_token": cr["SessionToken"]}  # fmt: skip
    ec2_member = client("ec2", proxy_url, member_creds)
    ec2_member.describe_instances()
    ec2.describe_instances()
    who = client("sts", proxy_url, member_creds).get_caller_identity()["Account"]
    log = px.requests()
    got = [(e["action"], e["account"], e["account_source"]) for e in log]
    check("account from the access key",
          got == [("DescribeInstances", member, "key"), ("DescribeInstances", MANAGEMENT, "default"),
                  ("GetCallerIdentity", member, "key")] and who == member,
          f"AssumeRole key {cr['AccessKeyId'][:8]}... -> {got[0][1] if got else None} (moto's GetCallerIdentity: {who}); "
          f"key 'testing' -> {got[1][1] if len(got) > 1 else None}")  # fmt: skip
    px.rules([{"service": "ec2", "action": "*", "account": member, "fault": "throttle"}])
    ok_m, r_m = call(ec2_member.describe_instances)
    ok_a, _ = call(ec2.describe_instances)
    check("rule limited to one account", not ok_m and err_code(r_m) == "RequestLimitExceeded" and ok_a,
          f"member {member}: {err_code(r_m) if not ok_m else 'ok'}, management: {'ok' if ok_a else 'throttled'}")

    # --- concurrency
    px.rules([])
    px.reset()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        futs = [pool.submit(lambda: len(ec2.describe_instances()["Reservations"])) for _ in range(48)]
        answers = [f.result() for f in futs]
    n = px.stats()["actions"].get("ec2:DescribeInstances", {}).get("forwarded")
    check("48 concurrent DescribeInstances", len(answers) == 48 and len(set(answers)) == 1 and n == 48,
          f"{len(answers)} answers, proxy counted {n}")

    # --- chunked request body and keep-alive
    status, _, body, _ = raw_query(proxy_url, "ec2", "Action=DescribeRegions&Version=2016-11-15", chunked=True)
    check("chunked request body", status == 200 and b"<regionInfo>" in body, f"HTTP {status}, {len(body)} bytes")
    host, port = proxy_url.split("://")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    socks, versions, closes = [], [], []
    for _ in range(3):
        status, headers, body, version = raw_query(proxy_url, "sts", "Action=GetCallerIdentity&Version=2011-06-15", conn=conn)
        socks.append(id(conn.sock))
        versions.append(version)
        closes.append(any(k.lower() == "connection" and v.lower() == "close" for k, v in headers))
    conn.close()
    check("HTTP/1.1 keep-alive", len(set(socks)) == 1 and socks[0] != id(None) and versions == [11] * 3 and not any(closes),
          "3 requests on one connection, HTTP/1.1, no Connection: close")  # fmt: skip

    # --- control endpoints
    bad = px.control("PUT", "rules", [{"service": "ec2", "fault": "explode"}])
    bad2 = px.control("PUT", "rules", [{"service": "sts", "action": "AssumeRole", "fault": "rewrite"}])
    missing = px.control("GET", "nothing")
    px.reset()
    st = px.stats()
    check("control endpoints", bad[0] == 400 and bad2[0] == 400 and missing[0] == 404 and st["total"]["requests"] == 0
          and st["actions"] == {}, f"bad rule -> {bad[0]} ({bad[1]['error']}); rewrite on sts -> {bad2[0]}; "
          f"unknown -> {missing[0]}; after reset {st['total']}")  # fmt: skip
    status, _ = http_call(proxy_url + "/moto-api/")
    check("/moto-api/ passes through uncounted", status == 200 and px.stats()["total"]["requests"] == 0, f"HTTP {status}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="fault-proxy-check-") as tmp:
        moto_proc = proxy_proc = None
        try:
            try:
                moto_proc, moto = start_moto(tmp)
                proxy_proc, proxy_url, info = start_proxy(moto, tmp)
            except (RuntimeError, OSError, ValueError) as e:
                note(f"setup failed: {e}")
                return 2
            try:
                run_checks(moto, proxy_url, info, proxy_proc)
            except Exception as e:  # a broken check must not leave processes behind
                check("unexpected exception", False, f"{type(e).__name__}: {e}")
            rc = stop_process(proxy_proc, "fault_proxy")
            check("proxy exits cleanly on SIGTERM", rc == 0, f"exit code {rc}")
        finally:
            if proxy_proc is not None:
                stop_process(proxy_proc, "fault_proxy")
            if moto_proc is not None:
                stop_process(moto_proc, "moto_server")
            if VERBOSE or (results and not all(results)):
                path = os.path.join(tmp, "proxy.log")
                if os.path.exists(path):
                    with open(path) as f:
                        sys.stderr.write("--- fault_proxy log ---\n" + f.read()[-4000:])
    failed = results.count(False)
    print(f"{len(results) - failed}/{len(results)} checks passed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
