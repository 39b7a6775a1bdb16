#!/usr/bin/env python3
"""Seed a moto_server with an AWS Organization, member accounts, OUs and EC2 instances.

    .venv/bin/python tests/harness/seed.py --endpoint http://127.0.0.1:PORT [--reset] < spec.json > inventory.json

Reads a JSON spec on stdin, prints a JSON inventory on stdout. All diagnostics go to stderr.
Exit codes: 0 ok, 2 bad spec / bad usage, 1 an AWS call failed. See tests/harness/README.md for the spec format.
"""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.request
import uuid
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from common import assumed_credentials, endpoint_parser

MANAGEMENT_ACCOUNT = "123456789012"
ORG_REGION = "us-east-1"
ACCESS_ROLE = "OrganizationAccountAccessRole"
# The hub's results bucket, as the deployment creates it (the state machine's ResultWriters and
# the start verification's plan; the local runner's --var results_bucket names it).
RESULTS_BUCKET = "uptime-scheduler-results"
INSTANCE_TYPE = "t3.micro"
STATES = ("running", "stopped", "terminated")
GROUP_KEYS = {"count", "type", "tags", "state", "spot", "asg", "hibernation", "separate_calls"}
ACCOUNT_KEYS = {"name", "management", "tags", "ou", "regions", "closed"}
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
# moto's default AMIs include these in every region; a narrow filter keeps DescribeImages fast
# (unfiltered, moto serialises ~1,300 images: 1-3 s per call).
AMI_NAME_FILTERS = ("amzn2-ami-hvm-*", "al2023-ami-*")
BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=300)


class SpecError(Exception):
    pass


class SeedError(Exception):
    pass


def log(msg: str) -> None:
    print(f"seed: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- spec


def _check_tags(where: str, tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise SpecError(f"{where}: 'tags' must be an object of string -> string, got {type(tags).__name__}")
    for k, v in tags.items():
        if not isinstance(k, str) or not k:
            raise SpecError(f"{where}: tag keys must be non-empty strings")
        if not isinstance(v, str):
            raise SpecError(f"{where}: tag {k!r} must have a string value, got {json.dumps(v)}")
    return dict(tags)


def _check_bool(where: str, obj: dict, key: str) -> bool:
    v = obj.get(key, False)
    if not isinstance(v, bool):
        raise SpecError(f"{where}: '{key}' must be true or false, got {json.dumps(v)}")
    return v


_KNOWN_REGIONS: set[str] = set()


def known_regions() -> set[str]:
    if not _KNOWN_REGIONS:
        sess = boto3.session.Session()
        for partition in sess.get_available_partitions():
            _KNOWN_REGIONS.update(sess.get_available_regions("ec2", partition_name=partition))
    return _KNOWN_REGIONS


def validate_spec(spec: Any) -> list[dict]:
    """Return a normalised list of accounts, or raise SpecError."""
    if not isinstance(spec, dict):
        raise SpecError("spec must be a JSON object with an 'accounts' list")
    unknown = set(spec) - {"accounts"}
    if unknown:
        raise SpecError(f"spec: unknown key(s) {sorted(unknown)}; only 'accounts' is allowed")
    accounts = spec.get("accounts", [])
    if not isinstance(accounts, list):
        raise SpecError("spec: 'accounts' must be a list")

    out = []
    names: set[str] = set()
    n_management = 0
    for ai, acc in enumerate(accounts):
        where = f"accounts[{ai}]"
        if not isinstance(acc, dict):
            raise SpecError(f"{where}: must be an object")
        unknown = set(acc) - ACCOUNT_KEYS
        if unknown:
            raise SpecError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(ACCOUNT_KEYS)}")
        management = _check_bool(where, acc, "management")
        name = acc.get("name", "management" if management else None)
        if not isinstance(name, str) or not name:
            raise SpecError(f"{where}: 'name' (non-empty string) is required")
        where = f"accounts[{ai}] ({name})"
        if name in names:
            raise SpecError(f"{where}: duplicate account name {name!r}")
        names.add(name)
        if management:
            n_management += 1
            if n_management > 1:
                raise SpecError(f"{where}: only one account may have \"management\": true")
        elif not re.fullmatch(r"[A-Za-z0-9._+-]+", name):
            raise SpecError(f"{where}: member account name must match [A-Za-z0-9._+-]+ (it becomes <name>@example.com)")
        tags = _check_tags(where, acc.get("tags"))
        closed = _check_bool(where, acc, "closed")
        if closed and management:
            raise SpecError(f"{where}: the management account cannot be \"closed\"")
        ou = acc.get("ou")
        if ou is not None:
            if not isinstance(ou, str) or not ou.strip("/"):
                raise SpecError(f"{where}: 'ou' must be a non-empty slash path like \"Workloads/Dev\"")
            parts = ou.strip("/").split("/")
            if any(not p for p in parts):
                raise SpecError(f"{where}: 'ou' {ou!r} has an empty path segment")
            ou = "/".join(parts)
        regions = acc.get("regions", {})
        if not isinstance(regions, dict):
            raise SpecError(f"{where}: 'regions' must be an object of region -> list of instance groups")
        norm_regions: dict[str, list[dict]] = {}
        for region, groups in regions.items():
            rwhere = f"{where}.regions[{region!r}]"
            if not isinstance(region, str) or not REGION_RE.match(region):
                raise SpecError(f"{rwhere}: not a region name like eu-west-1")
            if region not in known_regions():
                raise SpecError(f"{rwhere}: unknown EC2 region (botocore does not list it)")
            if not isinstance(groups, list):
                raise SpecError(f"{rwhere}: must be a list of instance groups")
            asg_names: set[str] = set()
            norm_groups = []
            for gi, g in enumerate(groups):
                gwhere = f"{rwhere}[{gi}]"
                if not isinstance(g, dict):
                    raise SpecError(f"{gwhere}: must be an object")
                unknown = set(g) - GROUP_KEYS
                if unknown:
                    raise SpecError(f"{gwhere}: unknown key(s) {sorted(unknown)}; allowed: {sorted(GROUP_KEYS)}")
                count = g.get("count")
                if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                    raise SpecError(f"{gwhere}: 'count' must be an integer >= 1, got {json.dumps(count)}")
                state = g.get("state", "running")
                if state not in STATES:
                    raise SpecError(f"{gwhere}: 'state' must be one of {list(STATES)}, got {json.dumps(state)}")
                asg = g.get("asg")
                if asg is not None:
                    if not isinstance(asg, str) or not asg:
                        raise SpecError(f"{gwhere}: 'asg' must be a non-empty string (the group name)")
                    if asg in asg_names:
                        raise SpecError(f"{gwhere}: Auto Scaling group {asg!r} appears twice in {region}")
                    asg_names.add(asg)
                itype = g.get("type", INSTANCE_TYPE)
                if not isinstance(itype, str) or not re.fullmatch(r"[a-z0-9-]+\.[a-z0-9-]+", itype):
                    raise SpecError(f"{gwhere}: 'type' must be an instance type such as 'm5.large', got {json.dumps(itype)}")
                ng = {
                    "count": count,
                    "type": itype,
                    "tags": _check_tags(gwhere, g.get("tags")),
                    "state": state,
                    "spot": _check_bool(gwhere, g, "spot"),
                    "hibernation": _check_bool(gwhere, g, "hibernation"),
                    "separate_calls": _check_bool(gwhere, g, "separate_calls"),
                    "asg": asg,
                }
                if asg is not None:
                    for k in ("spot", "hibernation", "separate_calls"):
                        if ng[k]:
                            raise SpecError(f"{gwhere}: '{k}' cannot be combined with 'asg'")
                norm_groups.append(ng)
            norm_regions[region] = norm_groups
        out.append(
            {"name": name, "management": management, "tags": tags, "ou": ou, "regions": norm_regions, "closed": closed}
        )
    return out


# ------------------------------------------------------------------------------------------ seeding


class Seeder:
    def __init__(self, endpoint: str):
        self.endpoint = endpoint.rstrip("/")
        self.mgmt_creds = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self._session = boto3.session.Session()  # one session: its model loader is shared by all clients
        self._clients: dict[tuple, Any] = {}
        self._ami: dict[tuple[str, str], str] = {}
        self.org = self.client("organizations", ORG_REGION, self.mgmt_creds)

    def client(self, service: str, region: str, creds: dict, key: str = MANAGEMENT_ACCOUNT):
        ck = (service, region, key)
        c = self._clients.get(ck)
        if c is None:
            c = self._clients[ck] = self._session.client(
                service, region_name=region, endpoint_url=self.endpoint, config=BOTO_CONFIG, **creds
            )
        return c

    # -- organization ----------------------------------------------------------------------------

    def ensure_organization(self) -> tuple[str, str]:
        try:
            self.org.create_organization(FeatureSet="ALL")
            log("created organization (FeatureSet ALL)")
        except ClientError as e:
            if e.response["Error"]["Code"] != "AlreadyInOrganizationException":
                raise
            log("organization exists already; reusing it")
        org = self.org.describe_organization()["Organization"]
        mgmt = org["MasterAccountId"]
        if mgmt != MANAGEMENT_ACCOUNT:
            raise SeedError(f"organization's management account is {mgmt}, expected {MANAGEMENT_ACCOUNT}")
        root_id = self.org.list_roots()["Roots"][0]["Id"]
        return mgmt, root_id

    def ensure_ou(self, root_id: str, path: str, ous: dict[str, str]) -> str:
        parent = root_id
        parts = path.split("/")
        for i, part in enumerate(parts):
            sub = "/".join(parts[: i + 1])
            if sub in ous:
                parent = ous[sub]
                continue
            existing = None
            for page in self.org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent):
                for ou in page["OrganizationalUnits"]:
                    if ou["Name"] == part:
                        existing = ou["Id"]
            if existing is None:
                existing = self.org.create_organizational_unit(ParentId=parent, Name=part)["OrganizationalUnit"]["Id"]
                log(f"created OU {sub} ({existing})")
            ous[sub] = parent = existing
        return parent

    def move_account(self, account_id: str, dest: str) -> None:
        src = self.org.list_parents(ChildId=account_id)["Parents"][0]["Id"]
        if src != dest:
            self.org.move_account(AccountId=account_id, SourceParentId=src, DestinationParentId=dest)

    def create_account(self, name: str, tags: dict[str, str]) -> str:
        kw: dict[str, Any] = {"AccountName": name, "Email": f"{name}@example.com"}
        if tags:
            kw["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        st = self.org.create_account(**kw)["CreateAccountStatus"]
        if st.get("State") != "SUCCEEDED":
            st = self.org.describe_create_account_status(CreateAccountRequestId=st["Id"])["CreateAccountStatus"]
        if st.get("State") != "SUCCEEDED" or not st.get("AccountId"):
            raise SeedError(f"create_account {name!r} did not succeed: {st}")
        return st["AccountId"]

    def account_creds(self, account_id: str) -> dict:
        if account_id == MANAGEMENT_ACCOUNT:
            return self.mgmt_creds
        sts = self.client("sts", ORG_REGION, self.mgmt_creds)
        return assumed_credentials(sts, account_id, ACCESS_ROLE, "seed")

    # -- EC2 -------------------------------------------------------------------------------------

    def ami(self, ec2, account_id: str, region: str) -> str:
        k = (account_id, region)
        if k not in self._ami:
            images = []
            for pattern in AMI_NAME_FILTERS:
                images = ec2.describe_images(
                    Filters=[{"Name": "state", "Values": ["available"]}, {"Name": "name", "Values": [pattern]}]
                )["Images"]
                if images:
                    break
            if not images:  # slow path: any available image
                images = ec2.describe_images(Filters=[{"Name": "state", "Values": ["available"]}])["Images"]
            if not images:
                raise SeedError(f"no available AMI in {region} for account {account_id}")
            self._ami[k] = images[0]["ImageId"]
        return self._ami[k]

    def launch_group(self, ec2, asg_client, account_id: str, region: str, g: dict) -> list[str]:
        """Create the instances of one group, bring them to the wanted state, return their IDs."""
        ami = self.ami(ec2, account_id, region)
        tag_list = [{"Key": k, "Value": v} for k, v in g["tags"].items()]
        ids: list[str] = []

        if g["asg"]:
            name = g["asg"]
            lt_name = f"{name}-lt-{uuid.uuid4().hex[:8]}"
            ec2.create_launch_template(
                LaunchTemplateName=lt_name,
                LaunchTemplateData={"ImageId": ami, "InstanceType": g["type"]},
            )
            asg_client.create_auto_scaling_group(
                AutoScalingGroupName=name,
                LaunchTemplate={"LaunchTemplateName": lt_name, "Version": "$Latest"},
                MinSize=0,
                MaxSize=g["count"],
                DesiredCapacity=g["count"],
                AvailabilityZones=[f"{region}a"],
                Tags=[
                    {
                        "ResourceId": name,
                        "ResourceType": "auto-scaling-group",
                        "Key": k,
                        "Value": v,
                        "PropagateAtLaunch": True,
                    }
                    for k, v in g["tags"].items()
                ],
            )
            groups = asg_client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
            ids = [i["InstanceId"] for i in groups[0]["Instances"]] if groups else []
            if len(ids) != g["count"]:
                raise SeedError(
                    f"Auto Scaling group {name!r} in {region} has {len(ids)} instances, expected {g['count']}"
                )
        else:
            kw: dict[str, Any] = {"ImageId": ami, "InstanceType": g["type"]}
            if tag_list:
                kw["TagSpecifications"] = [{"ResourceType": "instance", "Tags": tag_list}]
            if g["spot"]:
                kw["InstanceMarketOptions"] = {"MarketType": "spot"}
            if g["hibernation"]:
                kw["HibernationOptions"] = {"Configured": True}
            if g["separate_calls"]:
                for _ in range(g["count"]):
                    r = ec2.run_instances(MinCount=1, MaxCount=1, **kw)
                    ids.extend(i["InstanceId"] for i in r["Instances"])
            else:
                r = ec2.run_instances(MinCount=g["count"], MaxCount=g["count"], **kw)
                ids = [i["InstanceId"] for i in r["Instances"]]
            if len(ids) != g["count"]:
                raise SeedError(f"run_instances in {region} returned {len(ids)} instances, expected {g['count']}")

        if g["state"] == "stopped":
            ec2.stop_instances(InstanceIds=ids)
        elif g["state"] == "terminated":
            ec2.terminate_instances(InstanceIds=ids)
        return ids

    @staticmethod
    def describe(ec2, ids: list[str]) -> dict[str, dict]:
        """One DescribeInstances (paged) for all IDs of a region -> {id: {"tags":..., "state":...}}."""
        found: dict[str, dict] = {}
        for chunk_start in range(0, len(ids), 1000):
            chunk = ids[chunk_start : chunk_start + 1000]
            kw: dict[str, Any] = {"Filters": [{"Name": "instance-id", "Values": chunk}]}
            while True:
                r = ec2.describe_instances(**kw)
                for res in r["Reservations"]:
                    for inst in res["Instances"]:
                        found[inst["InstanceId"]] = {
                            "tags": {t["Key"]: t["Value"] for t in inst.get("Tags", [])},
                            "state": inst["State"]["Name"],
                        }
                if not r.get("NextToken"):
                    break
                kw["NextToken"] = r["NextToken"]
        return found

    # -- main ------------------------------------------------------------------------------------

    def seed(self, accounts: list[dict]) -> dict:
        t0 = time.monotonic()
        mgmt, root_id = self.ensure_organization()
        ous: dict[str, str] = {}
        inventory_accounts = []
        for acc in accounts:
            ta = time.monotonic()
            if acc["management"]:
                account_id = mgmt
                if acc["tags"]:
                    self.org.tag_resource(
                        ResourceId=account_id, Tags=[{"Key": k, "Value": v} for k, v in acc["tags"].items()]
                    )
            else:
                account_id = self.create_account(acc["name"], acc["tags"])
            if acc["ou"]:
                self.move_account(account_id, self.ensure_ou(root_id, acc["ou"], ous))

            instances = []
            if acc["regions"]:
                creds = self.account_creds(account_id)
                for region, groups in acc["regions"].items():
                    ec2 = self.client("ec2", region, creds, account_id)
                    asg_client = self.client("autoscaling", region, creds, account_id)
                    per_group = [self.launch_group(ec2, asg_client, account_id, region, g) for g in groups]
                    all_ids = [i for ids in per_group for i in ids]
                    described = self.describe(ec2, all_ids) if all_ids else {}
                    missing = [i for i in all_ids if i not in described]
                    if missing:
                        raise SeedError(f"DescribeInstances in {region} did not return {missing[:5]}...")
                    for gi, ids in enumerate(per_group):
                        for iid in ids:
                            instances.append(
                                {
                                    "id": iid,
                                    "region": region,
                                    "group": gi,
                                    "tags": described[iid]["tags"],
                                    "state": described[iid]["state"],
                                }
                            )
            if acc["closed"]:
                # After its instances: Organizations then lists it SUSPENDED (moto skips AWS's
                # PENDING_CLOSURE), and its EC2 state stays readable.
                self.org.close_account(AccountId=account_id)
            log(
                f"account {acc['name']} ({account_id}): {len(instances)} instances"
                f" in {len(acc['regions'])} region(s), {time.monotonic() - ta:.1f}s"
            )
            inventory_accounts.append({"name": acc["name"], "id": account_id, "instances": instances})
        log(f"done in {time.monotonic() - t0:.1f}s")
        self.ensure_results_bucket()
        return {
            "management_account": mgmt,
            "root_id": root_id,
            "ous": ous,
            "accounts": inventory_accounts,
            "results_bucket": RESULTS_BUCKET,
        }

    def ensure_results_bucket(self) -> None:
        s3 = self.client("s3", ORG_REGION, self.mgmt_creds)
        try:
            s3.create_bucket(Bucket=RESULTS_BUCKET)
        except ClientError as e:
            if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise


def reset(endpoint: str) -> None:
    req = urllib.request.Request(endpoint.rstrip("/") + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()
    log("reset moto state")


def main() -> int:
    ap = endpoint_parser(__doc__)
    ap.add_argument("--reset", action="store_true", help="POST /moto-api/reset before seeding")
    args = ap.parse_args()

    raw = sys.stdin.read()
    try:
        spec = json.loads(raw)
    except json.JSONDecodeError as e:
        print(f"seed: bad spec: stdin is not valid JSON: {e}", file=sys.stderr)
        return 2
    try:
        accounts = validate_spec(spec)
    except SpecError as e:
        print(f"seed: bad spec: {e}", file=sys.stderr)
        return 2

    try:
        if args.reset:
            reset(args.endpoint)
        inventory = Seeder(args.endpoint).seed(accounts)
    except ClientError as e:
        err = e.response.get("Error", {})
        print(
            f"seed: AWS call {e.operation_name} failed: {err.get('Code')}: {err.get('Message')}", file=sys.stderr
        )
        return 1
    except (BotoCoreError, SeedError, OSError) as e:
        print(f"seed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # e.g. botocore's ResponseParserError when moto answers HTTP 500 with HTML
        print(f"seed: {type(e).__name__}: {e}", file=sys.stderr)
        print("seed: (an HTTP 500 from moto usually means an unsupported call; see the moto_server log)", file=sys.stderr)
        return 1

    json.dump(inventory, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
