"""What the harness scripts share (each imports it from beside itself):

- `credential_scope`: the access key, region and service a SigV4-signed request names in its
  `Authorization` header or, presigned, in its `X-Amz-Credential` query parameter;
- `assumed_credentials`: boto3 keyword arguments for a member account, reached by assuming a
  role in it (moto keeps one EC2 state per account);
- `endpoint_parser`: the command line of a script that talks to one moto_server.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")


def credential_scope(authorization: str, query: dict[str, list[str]]) -> tuple[str | None, str | None, str | None]:
    """(access key, region, service) of a signed request; (None, None, None) if unsigned."""
    m = CREDENTIAL_RE.search(authorization or "")
    if not m and "X-Amz-Credential" in query:  # presigned request
        m = CREDENTIAL_RE.search("Credential=" + query["X-Amz-Credential"][0])
    if not m:
        return None, None, None
    return m.group(1), m.group(3), m.group(4)


def assumed_credentials(sts: Any, account: str, role: str, session: str) -> dict[str, str]:
    """boto3 client keyword arguments for `role` in `account`, assumed through `sts`."""
    cr = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName=session)["Credentials"]
    return {
        "aws_access_key_id": cr["AccessKeyId"],
        "aws_secret_access_key": cr["SecretAccessKey"],
        "aws_session_token": cr["SessionToken"],
    }


def endpoint_parser(doc: str | None) -> argparse.ArgumentParser:
    """A parser with the script's docstring as its help and a required `--endpoint`."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", required=True, help="moto_server URL, e.g. http://127.0.0.1:5000")
    return ap
