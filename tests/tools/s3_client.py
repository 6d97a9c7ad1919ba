#!/usr/bin/python3
"""A second S3 client for the tests: boto3 (Debian's python3-boto3), AWS's own
SDK, to write and read what lifeboat writes and reads, so a test does not
judge lifeboat's S3 requests by lifeboat alone.

    s3_client.py ENDPOINT put-lifecycle BUCKET FILE.xml
    s3_client.py ENDPOINT get-lifecycle BUCKET        (the XML, as S3 answers)
    s3_client.py ENDPOINT delete-lifecycle BUCKET
    s3_client.py ENDPOINT get BUCKET KEY              (the object, to stdout)
    s3_client.py ENDPOINT list BUCKET PREFIX          (KEY CLASS TAG per line)

Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. TAG is the
object's lifeboat-pack tag, or "-".
"""
import sys
import xml.etree.ElementTree as ET

import boto3
import botocore.config


def client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=botocore.config.Config(s3={"addressing_style": "path"}),
    )


def rules_of(path):
    """The rules of a LifecycleConfiguration XML file as boto3 takes them
    (ID, Filter.Prefix, Status, Transition and Expiration days)."""
    ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
    rules = []
    for r in ET.parse(path).getroot().findall("s3:Rule", ns):
        rule = {
            "ID": r.findtext("s3:ID", namespaces=ns),
            "Filter": {"Prefix": r.findtext("s3:Filter/s3:Prefix", default="", namespaces=ns)},
            "Status": r.findtext("s3:Status", namespaces=ns),
        }
        transitions = [
            {"Days": int(t.findtext("s3:Days", namespaces=ns)), "StorageClass": t.findtext("s3:StorageClass", namespaces=ns)}
            for t in r.findall("s3:Transition", ns)
        ]
        if transitions:
            rule["Transitions"] = transitions
        days = r.findtext("s3:Expiration/s3:Days", namespaces=ns)
        if days:
            rule["Expiration"] = {"Days": int(days)}
        rules.append(rule)
    return {"Rules": rules}


def main():
    endpoint, command, bucket = sys.argv[1:4]
    s3 = client(endpoint)
    if command == "put-lifecycle":
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=rules_of(sys.argv[4]))
    elif command == "get-lifecycle":
        s3.meta.events.register(
            "after-call.s3.GetBucketLifecycleConfiguration",
            lambda http_response, **_: sys.stdout.write(http_response.text + "\n"),
        )
        try:
            s3.get_bucket_lifecycle_configuration(Bucket=bucket)
        except s3.exceptions.ClientError as e:
            if e.response["Error"]["Code"] != "NoSuchLifecycleConfiguration":
                raise
    elif command == "get":
        sys.stdout.buffer.write(s3.get_object(Bucket=bucket, Key=sys.argv[4])["Body"].read())
    elif command == "delete-lifecycle":
        s3.delete_bucket_lifecycle(Bucket=bucket)
    elif command == "list":
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=sys.argv[4])
        for page in pages:
            for o in page.get("Contents", []):
                tags = s3.get_object_tagging(Bucket=bucket, Key=o["Key"])["TagSet"]
                tag = next((t["Value"] for t in tags if t["Key"] == "lifeboat-pack"), "-")
                print(o["Key"], o.get("StorageClass", "STANDARD"), tag)
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
