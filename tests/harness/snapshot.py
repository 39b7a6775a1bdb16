#!/usr/bin/env python3
"""Print the state of every EC2 instance in the given accounts and regions of a moto_server.

    echo '{"accounts": ["123456789012", "210987654321"], "regions": ["eu-west-1"]}' \\
        | .venv/bin/python tests/harness/snapshot.py --endpoint http://127.0.0.1:PORT

Output (stdout): {"i-...": {"account": "...", "region": "...", "state": "running"}, ...}, all states including
terminated. Member accounts are read with credentials from sts:AssumeRole into OrganizationAccountAccessRole,
the management account 123456789012 with plain credentials. Exit 2 on bad input, 1 if an AWS call fails.
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
BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=300)
PLAIN = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def fail(code: int, msg: str) -> int:
    print(f"snapshot: {msg}", file=sys.stderr)
    return code


def parse_input(raw: str) -> tuple[list[str], list[str]]:
    try:
        req = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"stdin is not valid JSON: {e}") from None
    if not isinstance(req, dict) or set(req) - {"accounts", "regions"}:
        raise ValueError('input must be an object {"accounts": [...], "regions": [...]}')
    accounts, regions = req.get("accounts"), req.get("regions")
    if not isinstance(accounts, list) or not all(isinstance(a, str) and re.fullmatch(r"\d{12}", a) for a in accounts):
        raise ValueError("'accounts' must be a list of 12-digit account ID strings")
    if not isinstance(regions, list) or not all(isinstance(r, str) and r for r in regions):
        raise ValueError("'regions' must be a list of region names")
    return list(dict.fromkeys(accounts)), list(dict.fromkeys(regions))


def creds_for(session: boto3.session.Session, endpoint: str, account: str) -> dict[str, Any]:
    if account == MANAGEMENT_ACCOUNT:
        return PLAIN
    sts = session.client("sts", region_name="us-east-1", endpoint_url=endpoint, config=BOTO_CONFIG, **PLAIN)
    return assumed_credentials(sts, account, ACCESS_ROLE, "snapshot")


def snapshot(endpoint: str, accounts: list[str], regions: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    session = boto3.session.Session()  # one session: its model loader is shared by all clients
    for account in accounts:
        creds = creds_for(session, endpoint, account)
        for region in regions:
            ec2 = session.client("ec2", region_name=region, endpoint_url=endpoint, config=BOTO_CONFIG, **creds)
            for page in ec2.get_paginator("describe_instances").paginate():
                for res in page["Reservations"]:
                    for inst in res["Instances"]:
                        out[inst["InstanceId"]] = {
                            "account": account,
                            "region": region,
                            "state": inst["State"]["Name"],
                        }
    return out


def main() -> int:
    ap = endpoint_parser(__doc__)
    args = ap.parse_args()
    try:
        accounts, regions = parse_input(sys.stdin.read())
    except ValueError as e:
        return fail(2, f"bad input: {e}")
    try:
        result = snapshot(args.endpoint.rstrip("/"), accounts, regions)
    except ClientError as e:
        err = e.response.get("Error", {})
        return fail(1, f"AWS call {e.operation_name} failed: {err.get('Code')}: {err.get('Message')}")
    except (BotoCoreError, Exception) as e:
        return fail(1, f"{type(e).__name__}: {e}")
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
