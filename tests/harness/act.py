#!/usr/bin/env python3
"""Change instances by hand, straight in moto: what people do between scheduler runs.

    echo '{"ops": [...], "describe": {"accounts": [...], "regions": [...]}}' \\
        | .venv/bin/python tests/harness/act.py --endpoint http://127.0.0.1:PORT

`ops` (optional) run in order; each names an account, a region and instances:

    {"op": "stop" | "start", "account": "210987654321", "region": "eu-west-1", "instances": ["i-..."]}
    {"op": "tag", ..., "tags": {"uptime-scheduler:override": "running until 2026-12-01T21:00Z"}}
    {"op": "untag", ..., "keys": ["uptime-scheduler:override"]}

or name an account of the Organization, and change its own tags (Organizations TagResource and
UntagResource, as the management account), as an account owner opts in or out:

    {"op": "tag-account", "account": "210987654321", "tags": {"uptime-scheduler:enabled": "true"}}
    {"op": "untag-account", "account": "210987654321", "keys": ["uptime-scheduler:enabled"]}

or write an object (JSON) to a bucket of the hub account, as the scheduler's own state is written:

    {"op": "put-object", "bucket": "uptime-scheduler-results", "key": "account-registry/accounts.json", "body": {...}}

`describe` (optional) then reads every instance of those accounts and regions. Output (stdout):
{"done": N, "instances": {"i-...": {"account", "region", "state", "tags": {...}}}} (`instances` only with
`describe`). Member accounts are reached through sts:AssumeRole into OrganizationAccountAccessRole, as
seed.py does (moto keeps one EC2 state per account); 123456789012 with plain credentials.
Exit 2 on bad input, 1 if an AWS call fails.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from common import assumed_credentials, endpoint_parser

MANAGEMENT_ACCOUNT = "123456789012"
ACCESS_ROLE = "OrganizationAccountAccessRole"
BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=120)
PLAIN = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
OPS = {"stop", "start", "tag", "untag", "tag-account", "untag-account", "put-object"}
ACCOUNT_OPS = {"tag-account", "untag-account"}


class BadInput(Exception):
    pass


class Moto:
    """boto3 clients per (account, region), member accounts through AssumeRole."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.session = boto3.session.Session()  # one session: its model loader is shared
        self._creds: dict[str, dict[str, Any]] = {}
        self._ec2: dict[tuple[str, str], Any] = {}

    def creds(self, account: str) -> dict[str, Any]:
        if account == MANAGEMENT_ACCOUNT:
            return PLAIN
        if account not in self._creds:
            sts = self.session.client(
                "sts", region_name="us-east-1", endpoint_url=self.endpoint, config=BOTO_CONFIG, **PLAIN
            )
            self._creds[account] = assumed_credentials(sts, account, ACCESS_ROLE, "by-hand")
        return self._creds[account]

    def organizations(self):
        """Organizations as the management account (it owns the accounts' tags)."""
        return self.session.client(
            "organizations", region_name="us-east-1", endpoint_url=self.endpoint, config=BOTO_CONFIG, **PLAIN
        )

    def ec2(self, account: str, region: str):
        key = (account, region)
        if key not in self._ec2:
            self._ec2[key] = self.session.client(
                "ec2", region_name=region, endpoint_url=self.endpoint, config=BOTO_CONFIG, **self.creds(account)
            )
        return self._ec2[key]


def check_op(n: int, op: Any) -> dict:
    where = f"ops[{n}]"
    if not isinstance(op, dict):
        raise BadInput(f"{where}: must be an object")
    kind = op.get("op")
    if kind not in OPS:
        raise BadInput(f"{where}: 'op' must be one of {sorted(OPS)}")
    if kind == "put-object":
        if set(op) != {"op", "bucket", "key", "body"}:
            raise BadInput(f"{where}: put-object takes exactly 'bucket', 'key' and 'body'")
        if not all(isinstance(op[k], str) and op[k] for k in ("bucket", "key")):
            raise BadInput(f"{where}: 'bucket' and 'key' must be non-empty strings")
        return op
    base = {"op", "account"} if kind in ACCOUNT_OPS else {"op", "account", "region", "instances"}
    allowed = base | ({"tags"} if kind in ("tag", "tag-account") else set())
    allowed |= {"keys"} if kind in ("untag", "untag-account") else set()
    if set(op) - allowed:
        raise BadInput(f"{where}: unknown key(s) {sorted(set(op) - allowed)}")
    if not isinstance(op.get("account"), str) or not re.fullmatch(r"\d{12}", op["account"]):
        raise BadInput(f"{where}: 'account' must be a 12-digit account id")
    if kind in ACCOUNT_OPS:
        kind = kind.removesuffix("-account")
        if kind == "tag" and not (
            isinstance(op.get("tags"), dict) and op["tags"] and all(isinstance(v, str) for v in op["tags"].values())
        ):
            raise BadInput(f"{where}: 'tags' must be a non-empty object of string values")
        if kind == "untag" and not (
            isinstance(op.get("keys"), list) and op["keys"] and all(isinstance(k, str) for k in op["keys"])
        ):
            raise BadInput(f"{where}: 'keys' must be a non-empty list of tag keys")
        return op
    if not isinstance(op.get("region"), str) or not op["region"]:
        raise BadInput(f"{where}: 'region' is required")
    ids = op.get("instances")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i.startswith("i-") for i in ids):
        raise BadInput(f"{where}: 'instances' must be a non-empty list of instance ids")
    if kind == "tag":
        tags = op.get("tags")
        if not isinstance(tags, dict) or not tags or not all(isinstance(v, str) for v in tags.values()):
            raise BadInput(f"{where}: 'tags' must be a non-empty object of string values")
    if kind == "untag":
        keys = op.get("keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise BadInput(f"{where}: 'keys' must be a non-empty list of tag keys")
    return op


def apply(moto: Moto, op: dict) -> None:
    if op["op"] == "put-object":
        s3 = moto.session.client("s3", region_name="us-east-1", endpoint_url=moto.endpoint, config=BOTO_CONFIG, **PLAIN)
        s3.put_object(Bucket=op["bucket"], Key=op["key"], Body=json.dumps(op["body"]).encode())
        return
    if op["op"] in ACCOUNT_OPS:
        org = moto.organizations()
        if op["op"] == "tag-account":
            org.tag_resource(ResourceId=op["account"], Tags=[{"Key": k, "Value": v} for k, v in op["tags"].items()])
        else:
            org.untag_resource(ResourceId=op["account"], TagKeys=op["keys"])
        return
    ec2 = moto.ec2(op["account"], op["region"])
    ids = op["instances"]
    if op["op"] == "stop":
        ec2.stop_instances(InstanceIds=ids)
    elif op["op"] == "start":
        ec2.start_instances(InstanceIds=ids)
    elif op["op"] == "tag":
        ec2.create_tags(Resources=ids, Tags=[{"Key": k, "Value": v} for k, v in op["tags"].items()])
    else:
        ec2.delete_tags(Resources=ids, Tags=[{"Key": k} for k in op["keys"]])


def describe(moto: Moto, accounts: list[str], regions: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for account in accounts:
        for region in regions:
            for page in moto.ec2(account, region).get_paginator("describe_instances").paginate():
                for res in page["Reservations"]:
                    for inst in res["Instances"]:
                        out[inst["InstanceId"]] = {
                            "account": account,
                            "region": region,
                            "state": inst["State"]["Name"],
                            "tags": {t["Key"]: t["Value"] for t in inst.get("Tags", [])},
                        }
    return out


def main() -> int:
    ap = endpoint_parser(__doc__)
    args = ap.parse_args()
    try:
        req = json.loads(sys.stdin.read())
        if not isinstance(req, dict) or set(req) - {"ops", "describe"}:
            raise BadInput('input must be an object {"ops"?: [...], "describe"?: {...}}')
        ops = [check_op(n, op) for n, op in enumerate(req.get("ops") or [])]
        want = req.get("describe")
        if want is not None and (
            not isinstance(want, dict)
            or not isinstance(want.get("accounts"), list)
            or not isinstance(want.get("regions"), list)
        ):
            raise BadInput("'describe' must be {\"accounts\": [...], \"regions\": [...]}")
    except (json.JSONDecodeError, BadInput) as e:
        print(f"act: bad input: {e}", file=sys.stderr)
        return 2
    moto = Moto(args.endpoint.rstrip("/"))
    try:
        for op in ops:
            apply(moto, op)
        out: dict[str, Any] = {"done": len(ops)}
        if want is not None:
            out["instances"] = describe(moto, want["accounts"], want["regions"])
    except ClientError as e:
        err = e.response.get("Error", {})
        print(f"act: AWS call {e.operation_name} failed: {err.get('Code')}: {err.get('Message')}", file=sys.stderr)
        return 1
    except (BotoCoreError, Exception) as e:
        print(f"act: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
