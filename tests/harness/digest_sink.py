#!/usr/bin/env python3
"""Where a run digest lands in moto, set up and read back with boto3 (independently of the Rust SDK).

    .venv/bin/python tests/harness/digest_sink.py --endpoint http://127.0.0.1:PORT setup < {"region": "us-east-1"}
    .venv/bin/python tests/harness/digest_sink.py --endpoint http://127.0.0.1:PORT drain < (setup's output)

`setup` creates, in moto's default account and the given region: an SQS queue `digest-events`
that an EventBridge rule on the default bus (pattern: source `uptime-scheduler`) targets, and an
SNS topic `digest` to which a queue `digest-sns` is subscribed (not raw: each SQS message is the
SNS envelope, with Subject and Message). Prints {"region", "topic_arn", "events_queue_url",
"sns_queue_url"}.

`drain` receives every message from both queues until they are empty and prints {"events": [the
EventBridge events as the rule's target got them], "sns": [the SNS envelopes]}, each parsed from
JSON. Exit codes: 0 ok, 1 an AWS call failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys

import boto3
from botocore.config import Config

BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=60)


def clients(endpoint: str, region: str):
    kw = dict(
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=BOTO_CONFIG,
    )
    return boto3.client("events", **kw), boto3.client("sns", **kw), boto3.client("sqs", **kw)


def queue_arn(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def setup(endpoint: str, spec: dict) -> dict:
    region = spec.get("region", "us-east-1")
    events, sns, sqs = clients(endpoint, region)
    events_queue = sqs.create_queue(QueueName="digest-events")["QueueUrl"]
    events.put_rule(
        Name="uptime-scheduler-digest",
        EventBusName="default",
        EventPattern=json.dumps({"source": ["uptime-scheduler"]}),
        State="ENABLED",
    )
    events.put_targets(
        Rule="uptime-scheduler-digest",
        EventBusName="default",
        Targets=[{"Id": "queue", "Arn": queue_arn(sqs, events_queue)}],
    )
    topic = sns.create_topic(Name="digest")["TopicArn"]
    sns_queue = sqs.create_queue(QueueName="digest-sns")["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, sns_queue))
    return {"region": region, "topic_arn": topic, "events_queue_url": events_queue, "sns_queue_url": sns_queue}


def receive_all(sqs, url: str) -> list:
    got = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            return got
        for m in batch:
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def drain(endpoint: str, spec: dict) -> dict:
    _, _, sqs = clients(endpoint, spec["region"])
    return {"events": receive_all(sqs, spec["events_queue_url"]), "sns": receive_all(sqs, spec["sns_queue_url"])}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint", required=True)
    p.add_argument("command", choices=["setup", "drain"])
    args = p.parse_args()
    try:
        spec = json.load(sys.stdin)
    except ValueError as e:
        print(f"digest_sink: stdin is not JSON: {e}", file=sys.stderr)
        return 2
    try:
        out = setup(args.endpoint, spec) if args.command == "setup" else drain(args.endpoint, spec)
    except Exception as e:  # noqa: BLE001 - any AWS or connection error is exit 1 with its message
        print(f"digest_sink: {args.command} failed: {e}", file=sys.stderr)
        return 1
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
