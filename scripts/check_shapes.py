#!/usr/bin/env python3
"""Checks the simulator's raw responses against botocore's service models.

Usage: check_shapes.py ENDPOINT_URL [--sso-token=TOKEN --start-url=URL]

With --sso-token (a simulator serving an organisation, `bosun sim --accounts`), checks the
SSO portal's calls instead: ListAccounts (every page), ListAccountRoles, GetRoleCredentials,
and the errors of a bad token and of a role not assigned; SSO-OIDC's login (RegisterClient,
StartDeviceAuthorization, CreateToken pending then granted, a refresh, an unknown client);
Organizations' ListAccounts, STS AssumeRole into a member and a role refused, a member refused
the listing; and SSM's ListNodes through the organisation's index (every page, filters, an
unknown sync, too many filter values).

Calls SSM, KMS, EC2 and IAM through botocore and walks every raw response body against the
operation's output shape (or, for errors, checks the code is one the model lists): every key
must be a member of its shape, with the right type and a valid enum value; required members
must be there; strings, numbers and lists keep to the model's min, max and pattern. Every
kind of record the demo fleet has is read (both regions, Windows, Inactive, stopped,
unmanaged, every page), and invocations in several final states. Prints one line per check
and closes with 'N passed, M failed'. Exit status 1 when anything failed.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

import botocore.session
from botocore.config import Config

ENDPOINT = sys.argv[1]
results = {"passed": 0, "failed": 0}

# Where the live service and the model disagree, the simulator follows the live service.
# Each entry is an element path whose enum is compared case-insensitively, and why.
KNOWN_DEVIATIONS = {
    "/vpcEndpointSet/item/state": "EC2 returns lowercase 'available' although the model's "
    "enum spells it 'Available'",
    "/reservationSet/item/instancesSet/item/platform": "EC2 returns 'windows' although the "
    "model's enum spells it 'Windows'",
}
# JSON members (path suffix, list indices removed) that the live service sends as "" although
# the model gives them an enum.
EMPTY_ENUM_ALLOWED = {
    ".NotificationConfig.NotificationType": "Run Command reports an empty NotificationType "
    "for commands without notifications",
}
# JSON members the live service sends as "" although the model gives them a minimum length.
EMPTY_BELOW_MIN_ALLOWED = {
    ".CloudWatchOutputConfig.CloudWatchLogGroupName": "Run Command reports an empty log "
    "group for commands without CloudWatch output",
    ".OutputS3BucketName": "Run Command reports an empty bucket for commands without S3 output",
}
# JSON members whose values the live service writes otherwise than the model's pattern.
PATTERN_NOT_KEPT = {
    ".ExecutionStartDateTime": "ISO 8601 with milliseconds (2026-11-29T23:17:26.000Z), which "
    "the model's pattern does not admit",
    ".ExecutionEndDateTime": "as ExecutionStartDateTime",
    ".ExecutionElapsedTime": "an ISO 8601 duration (PT0.005S); the model gives it the pattern "
    "of a date",
}


def report(ok, label, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("ok   " if ok else "FAIL ") + label + (": " + detail if detail else ""))


def check_bounds(shape, value, path, problems):
    """The model's min/max (a string's or list's length, a number's value) and pattern."""
    meta = shape.metadata
    plain = "".join(part for part in path.replace("]", "[").split("[")[::2])
    if value == "" and any(plain.endswith(k) for k in EMPTY_BELOW_MIN_ALLOWED):
        return
    if any(plain.endswith(k) for k in PATTERN_NOT_KEPT):
        meta = {k: v for k, v in meta.items() if k != "pattern"}
    size = len(value) if isinstance(value, (str, list)) else value
    if "min" in meta and size < meta["min"]:
        problems.append(f"{path}: {value!r} is below the model's min {meta['min']}")
    if "max" in meta and size > meta["max"]:
        problems.append(f"{path}: {str(value)[:40]!r} is above the model's max {meta['max']}")
    pattern = meta.get("pattern")
    if pattern and isinstance(value, str):
        try:
            if re.search(pattern, value) is None:
                problems.append(f"{path}: {value!r} does not match {pattern!r}")
        except re.error:
            pass  # a Java-only construct: the pattern cannot be checked here


def check_json(shape, value, path, problems):
    kind = shape.type_name
    if value is None:
        return
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object")
            return
        for required in shape.required_members:
            if required not in value:
                problems.append(f"{path}.{required}: required by the model, missing")
        for key, item in value.items():
            member = shape.members.get(key)
            if member is None:
                problems.append(f"{path}.{key}: not in the model")
            else:
                check_json(member, item, f"{path}.{key}", problems)
    elif kind == "list":
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list")
            return
        check_bounds(shape, value, path, problems)
        for index, item in enumerate(value):
            check_json(shape.member, item, f"{path}[{index}]", problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a map")
            return
        for key, item in value.items():
            check_json(shape.value, item, f"{path}[{key}]", problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string, got {value!r}")
            return
        check_bounds(shape, value, path, problems)
        if shape.enum and value not in shape.enum:
            plain = "".join(part for part in path.replace("]", "[").split("[")[::2])
            if not (value == "" and any(plain.endswith(k) for k in EMPTY_ENUM_ALLOWED)):
                problems.append(f"{path}: {value!r} is not one of {shape.enum}")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected an integer")
        else:
            check_bounds(shape, value, path, problems)
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean")
    elif kind == "timestamp":
        if not isinstance(value, (int, float)):
            problems.append(f"{path}: expected epoch seconds")
    elif kind == "blob":
        if not isinstance(value, str):
            problems.append(f"{path}: expected base64 text")


def check_xml(shape, element, path, problems):
    kind = shape.type_name
    if kind == "structure":
        names = {}
        for name, member in shape.members.items():
            names[member.serialization.get("name", name)] = member
            names[name[0].lower() + name[1:]] = member
        present = {child.tag.split("}")[-1] for child in element}
        for required in shape.required_members:
            member = shape.members[required]
            spelled = {member.serialization.get("name", required), required[0].lower() + required[1:]}
            if not present & spelled:
                problems.append(f"{path}/{required}: required by the model, missing")
        for child in element:
            tag = child.tag.split("}")[-1]
            if path == "" and tag == "requestId":
                continue
            member = names.get(tag)
            if member is None:
                problems.append(f"{path}/{tag}: not in the model")
            else:
                check_xml(member, child, f"{path}/{tag}", problems)
    elif kind == "list":
        for child in element:
            check_xml(shape.member, child, f"{path}/item", problems)
    elif kind in ("integer", "long"):
        try:
            int(element.text or "")
        except ValueError:
            problems.append(f"{path}: {element.text!r} is not an integer")
    elif kind == "boolean":
        if element.text not in ("true", "false"):
            problems.append(f"{path}: {element.text!r} is not a boolean")
    elif kind == "string" and not shape.enum:
        check_bounds(shape, element.text or "", path, problems)
    elif kind == "string" and shape.enum and element.text not in shape.enum:
        lenient = path in KNOWN_DEVIATIONS
        if not (lenient and (element.text or "").lower() in [e.lower() for e in shape.enum]):
            problems.append(f"{path}: {element.text!r} is not one of {shape.enum}")


def client(service, region="us-east-1"):
    session = botocore.session.get_session()
    return session.create_client(
        service,
        region_name=region,
        endpoint_url=ENDPOINT,
        aws_access_key_id="AKIDSHAPES",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )


def call(service_client, operation, expect_error=None, **params):
    model = service_client.meta.service_model.operation_model(operation)
    captured = {}

    def keep(http_response, **_):
        captured["status"] = http_response.status_code
        captured["body"] = http_response.content

    service_client.meta.events.register(f"after-call.*.{operation}", keep)
    method = getattr(service_client, botocore.xform_name(operation))
    label = f"{service_client.meta.service_model.service_name}:{operation}"
    try:
        parsed = method(**params)
    except service_client.exceptions.ClientError as error:
        code = error.response["Error"]["Code"]
        # A shape's name, or the code its error metadata gives (IAM's NoSuchEntityException
        # is sent as NoSuchEntity).
        known = [shape.name for shape in model.error_shapes] + [
            shape.metadata.get("error", {}).get("code") for shape in model.error_shapes] + [
            "ValidationException", "ThrottlingException", "AccessDeniedException",
            # STS refuses a role that does not trust the caller with AccessDenied, which its
            # model does not list.
            "AccessDenied"]
        report(expect_error == code and (code in known or "." in code),
               f"{label} error {code}", "" if expect_error == code else f"expected {expect_error}")
        return None
    finally:
        service_client.meta.events.unregister(f"after-call.*.{operation}", keep)
    if expect_error:
        report(False, label, f"expected {expect_error}, got success")
        return parsed
    problems = []
    protocol = service_client.meta.service_model.protocol
    if protocol in ("json", "rest-json"):
        check_json(model.output_shape, json.loads(captured["body"]), "", problems)
    elif protocol == "query":
        # IAM: <OpResponse><OpResult>…</OpResult><ResponseMetadata/></OpResponse>
        root = ET.fromstring(captured["body"])
        if root.tag.split("}")[-1] != f"{operation}Response":
            problems.append(f"root {root.tag!r} is not {operation}Response")
        result = [c for c in root if c.tag.split("}")[-1] == f"{operation}Result"]
        if len(result) != 1:
            problems.append(f"no {operation}Result")
        else:
            check_xml(model.output_shape, result[0], "", problems)
    else:
        check_xml(model.output_shape, ET.fromstring(captured["body"]), "", problems)
    report(not problems, label, "; ".join(problems[:5]))
    return parsed


if len(sys.argv) > 2 and sys.argv[2].startswith("--sso-token="):
    token = sys.argv[2].split("=", 1)[1]
    sso = client("sso")
    accounts, next_token = [], None
    while True:
        page = call(sso, "ListAccounts", accessToken=token, maxResults=2,
                    **({"nextToken": next_token} if next_token else {}))
        accounts += page["accountList"]
        next_token = page.get("nextToken")
        if not next_token:
            break
    report(len(accounts) > 2, "sso:ListAccounts pages", f"{len(accounts)} accounts")
    for account in accounts:
        roles = call(sso, "ListAccountRoles", accessToken=token, accountId=account["accountId"])
        for role in roles["roleList"]:
            call(sso, "GetRoleCredentials", accessToken=token, accountId=account["accountId"],
                 roleName=role["roleName"])
    call(sso, "ListAccounts", expect_error="UnauthorizedException", accessToken="nope")
    call(sso, "GetRoleCredentials", expect_error="ResourceNotFoundException", accessToken=token,
         accountId=accounts[0]["accountId"], roleName="NoSuchRole")
    # Logging in: the device authorization, pending once, then granted; a refresh.
    oidc = client("sso-oidc")
    registered = call(oidc, "RegisterClient", clientName="shapes", clientType="public",
                      scopes=["sso:account:access"])
    start_url = sys.argv[3].split("=", 1)[1] if len(sys.argv) > 3 else ""
    device = call(oidc, "StartDeviceAuthorization", clientId=registered["clientId"],
                  clientSecret=registered["clientSecret"], startUrl=start_url)
    grant = dict(clientId=registered["clientId"], clientSecret=registered["clientSecret"],
                 grantType="urn:ietf:params:oauth:grant-type:device_code",
                 deviceCode=device["deviceCode"])
    call(oidc, "CreateToken", expect_error="AuthorizationPendingException", **grant)
    granted = call(oidc, "CreateToken", **grant)
    call(oidc, "CreateToken", clientId=registered["clientId"],
         clientSecret=registered["clientSecret"], grantType="refresh_token",
         refreshToken=granted["refreshToken"])
    call(oidc, "StartDeviceAuthorization", expect_error="InvalidClientException",
         clientId="nobody", clientSecret="nothing", startUrl=start_url)
    # Without SSO: Organizations from the management account (every page), AssumeRole into a
    # member, and a member's credentials refused the listing.
    organizations = client("organizations")
    listed, next_token = [], None
    while True:
        page = call(organizations, "ListAccounts", MaxResults=2,
                    **({"NextToken": next_token} if next_token else {}))
        listed += page["Accounts"]
        next_token = page.get("NextToken")
        if not next_token:
            break
    report(len(listed) == len(accounts), "organizations:ListAccounts pages",
           f"{len(listed)} accounts, the portal lists {len(accounts)}")
    sts = client("sts")
    member = accounts[-1]["accountId"]
    assumed = call(sts, "AssumeRole", RoleSessionName="shapes",
                   RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole")
    call(sts, "AssumeRole", expect_error="AccessDenied", RoleSessionName="shapes",
         RoleArn=f"arn:aws:iam::{member}:role/NotTrusted")
    as_member = botocore.session.get_session().create_client(
        "organizations", region_name="us-east-1", endpoint_url=ENDPOINT,
        aws_access_key_id=assumed["Credentials"]["AccessKeyId"],
        aws_secret_access_key=assumed["Credentials"]["SecretAccessKey"],
        aws_session_token=assumed["Credentials"]["SessionToken"],
        config=Config(retries={"max_attempts": 1}))
    call(as_member, "ListAccounts", expect_error="AccessDeniedException")
    # The organisation's index: every page, filtered by account and region, and its errors.
    ssm = client("ssm")
    sync = "AWS-QuickSetup-ManagedNode"
    nodes, next_token = 0, None
    while True:
        page = call(ssm, "ListNodes", SyncName=sync, MaxResults=50,
                    **({"NextToken": next_token} if next_token else {}))
        nodes += len(page["Nodes"])
        next_token = page.get("NextToken")
        if not next_token:
            break
    report(nodes > 50, "ssm:ListNodes pages", f"{nodes} nodes")
    call(ssm, "ListNodes", SyncName=sync, Filters=[
        {"Key": "AccountId", "Values": [member], "Type": "Equal"},
        {"Key": "Region", "Values": ["us-east-1", "eu-west-1"], "Type": "Equal"}])
    call(ssm, "ListNodes", MaxResults=5)
    call(ssm, "ListNodes", expect_error="ResourceDataSyncNotFoundException", SyncName="nope")
    call(ssm, "ListNodes", expect_error="InvalidFilter", SyncName=sync,
         Filters=[{"Key": "AccountId", "Values": ["1", "2", "3", "4", "5", "6"]}])
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)

ssm = client("ssm")
kms = client("kms")
ec2 = client("ec2")
iam = client("iam")
sts = client("sts")

info = call(ssm, "DescribeInstanceInformation", MaxResults=5)
call(ssm, "DescribeInstanceInformation", Filters=[{"Key": "tag:Team", "Values": ["payments"]}])
call(ssm, "DescribeInstanceInformation", expect_error="InvalidFilterKey", Filters=[{"Key": "Colour", "Values": ["x"]}])
online = [i["InstanceId"] for i in info["InstanceInformationList"] if i["PingStatus"] == "Online"]
lost = [i for i in ssm.describe_instance_information(
    Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}])["InstanceInformationList"]]
# Every record the fleet has, every page, both regions: Windows, Inactive, ConnectionLost,
# stopped and unmanaged instances each meet the models.
for region in ("us-east-1", "eu-west-1"):
    regional_ssm, regional_ec2 = client("ssm", region), client("ec2", region)
    token = None
    while True:
        page = call(regional_ssm, "DescribeInstanceInformation", MaxResults=5,
                    **({"NextToken": token} if token else {}))
        token = page.get("NextToken")
        if not token:
            break
    token = None
    while True:
        page = call(regional_ec2, "DescribeInstances", MaxResults=5,
                    **({"NextToken": token} if token else {}))
        token = page.get("NextToken")
        if not token:
            break
call(ssm, "GetConnectionStatus", Target=online[0])
started = call(ssm, "StartSession", Target=online[0])
call(ssm, "StartSession", expect_error="TargetNotConnected", Target=lost[0]["InstanceId"])
call(ssm, "StartSession", expect_error="InvalidDocument", Target=online[0], DocumentName="Nope")
call(ssm, "ResumeSession", SessionId=started["SessionId"])
call(ssm, "DescribeSessions", State="Active")
call(ssm, "TerminateSession", SessionId=started["SessionId"])
call(ssm, "DescribeSessions", State="History")
call(ssm, "ResumeSession", expect_error="DoesNotExistException", SessionId="nobody-0")

sent = call(ssm, "SendCommand", DocumentName="AWS-RunShellScript", InstanceIds=online[:3],
            Parameters={"commands": ["echo shapes; echo oops >&2; exit 2"]}, Comment="shape check",
            OutputS3BucketName="bucket", MaxConcurrency="50%", MaxErrors="1")
command_id = sent["Command"]["CommandId"]
import time
for _ in range(100):
    if ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] not in ("Pending", "InProgress"):
        break
    time.sleep(0.1)
# A command that reaches one instance and not another (Undeliverable), and one that times out.
mixed = call(ssm, "SendCommand", DocumentName="AWS-RunShellScript",
             InstanceIds=[online[1], lost[0]["InstanceId"]],
             Parameters={"commands": ["sleep 5"], "executionTimeout": ["1"]})
mixed_id = mixed["Command"]["CommandId"]
for _ in range(100):
    if ssm.list_commands(CommandId=mixed_id)["Commands"][0]["Status"] not in ("Pending", "InProgress"):
        break
    time.sleep(0.1)
call(ssm, "ListCommandInvocations", CommandId=mixed_id, Details=True)
call(ssm, "GetCommandInvocation", CommandId=mixed_id, InstanceId=online[1])
call(ssm, "ListCommands", CommandId=mixed_id)
call(ssm, "ListCommands", MaxResults=5)
call(ssm, "ListCommandInvocations", CommandId=command_id, Details=True)
call(ssm, "ListCommandInvocations", CommandId=command_id)
call(ssm, "GetCommandInvocation", CommandId=command_id, InstanceId=online[0])
call(ssm, "GetCommandInvocation", expect_error="InvocationDoesNotExist", CommandId=command_id, InstanceId="i-0123456789abcdef9")
call(ssm, "CancelCommand", CommandId=command_id)
call(ssm, "GetDocument", Name="SSM-SessionManagerRunShell")
call(ssm, "GetDocument", expect_error="InvalidDocument", Name="No-Such-Document")
call(ssm, "SendCommand", expect_error="InvalidDocument", DocumentName="Nope", InstanceIds=online[:1])
call(ssm, "SendCommand", expect_error="InvalidInstanceId", DocumentName="AWS-RunShellScript",
     InstanceIds=["i-0123456789abcdef9"], Parameters={"commands": ["true"]})

key = call(kms, "GenerateDataKey", KeyId="alias/shapes", NumberOfBytes=64,
           EncryptionContext={"aws:ssm:SessionId": "s"})
call(kms, "Decrypt", CiphertextBlob=key["CiphertextBlob"], EncryptionContext={"aws:ssm:SessionId": "s"})
call(kms, "Decrypt", expect_error="InvalidCiphertextException", CiphertextBlob=key["CiphertextBlob"])

call(ec2, "DescribeInstances", MaxResults=5)
call(ec2, "DescribeInstances", Filters=[{"Name": "tag:Team", "Values": ["payments"]}])
call(ec2, "DescribeInstances", expect_error="InvalidInstanceID.NotFound", InstanceIds=["i-0123456789abcdef9"])
call(ec2, "DescribeRegions")
# A Windows instance's password (finance-reporting), a Linux one's (none), an unknown one's.
windows = call(ec2, "GetPasswordData", InstanceId="i-03f1a2b3c4d5fcccb")
assert windows["PasswordData"], "a Windows instance has password data"
call(ec2, "GetPasswordData", InstanceId="i-03f1a2b3c4d5f1110")
call(ec2, "GetPasswordData", expect_error="InvalidInstanceID.NotFound", InstanceId="i-0123456789abcdef9")
call(ec2, "DescribeVpcEndpoints")
call(ec2, "DescribeVpcEndpoints", Filters=[{"Name": "vpc-id", "Values": ["vpc-0a1b2c3d4e5f60001"]}])
call(ec2, "DescribeInstanceConnectEndpoints")
call(ec2, "DescribeInstanceConnectEndpoints", Filters=[{"Name": "vpc-id", "Values": ["vpc-0a1b2c3d4e5f60001"]}])
call(ec2, "DescribeRouteTables")
call(ec2, "DescribeRouteTables", Filters=[{"Name": "association.subnet-id", "Values": ["subnet-0d1e2f3a4b5c60021"]}])
call(ec2, "DescribeRouteTables", Filters=[{"Name": "vpc-id", "Values": ["vpc-0a1b2c3d4e5f60002"]},
                                          {"Name": "association.main", "Values": ["true"]}])
call(ec2, "DescribeSecurityGroups")
call(ec2, "DescribeSecurityGroups", Filters=[{"Name": "vpc-id", "Values": ["vpc-0a1b2c3d4e5f60001"]}])
call(ec2, "DescribeSecurityGroups", GroupIds=["sg-0ledgerlocked01"])
call(ec2, "DescribeIamInstanceProfileAssociations")
call(ec2, "DescribeIamInstanceProfileAssociations",
     Filters=[{"Name": "instance-id", "Values": ["i-03f1a2b3c4d5e1111"]}])
call(iam, "GetInstanceProfile", InstanceProfileName="ReportingInstanceProfile")
call(iam, "GetInstanceProfile", expect_error="NoSuchEntity", InstanceProfileName="Nope")
call(iam, "ListAttachedRolePolicies", RoleName="ReportingRole")
call(iam, "ListRolePolicies", RoleName="ReportingRole")
call(iam, "ListAttachedRolePolicies", expect_error="NoSuchEntity", RoleName="Nope")
me = call(sts, "GetCallerIdentity")
call(iam, "SimulatePrincipalPolicy", PolicySourceArn=me["Arn"],
     ActionNames=["ssm:StartSession", "ssm:SendCommand"],
     ResourceArns=["arn:aws:ec2:us-east-1:111122223333:instance/i-03f1a2b3c4d5e1111"])
call(iam, "SimulatePrincipalPolicy", expect_error="InvalidInput",
     PolicySourceArn="arn:aws:s3:::bucket-of-logs", ActionNames=["ssm:StartSession"])

# ECS: every cluster, service and task of both regions (Fargate and EC2, exec on and off, an
# agent stopped, an old platform), container instances, ExecuteCommand and its refusals.
for region in ("us-east-1", "eu-west-1"):
    ecs = client("ecs", region)
    clusters = call(ecs, "ListClusters")["clusterArns"]
    call(ecs, "ListClusters", maxResults=1)
    call(ecs, "DescribeClusters", clusters=clusters + ["nope"])
    for cluster in clusters:
        services = call(ecs, "ListServices", cluster=cluster)["serviceArns"]
        call(ecs, "DescribeServices", cluster=cluster, services=services[:10])
        tasks = call(ecs, "ListTasks", cluster=cluster)["taskArns"]
        call(ecs, "ListTasks", cluster=cluster, serviceName=services[0], maxResults=1)
        described = call(ecs, "DescribeTasks", cluster=cluster, tasks=tasks + ["0" * 32])
        instances = sorted({t["containerInstanceArn"] for t in described["tasks"]
                            if "containerInstanceArn" in t})
        if instances:
            call(ecs, "DescribeContainerInstances", cluster=cluster, containerInstances=instances)
        for task in described["tasks"]:
            agents = [a for c in task["containers"] for a in c.get("managedAgents", [])]
            runs = task["enableExecuteCommand"] and agents and all(
                a["lastStatus"] == "RUNNING" for a in agents)
            container = task["containers"][0]["name"]
            if runs:
                # The crawler's task role cannot reach ssmmessages: no session either.
                crawler = task["group"] == "service:crawler"
                call(ecs, "ExecuteCommand", cluster=cluster, task=task["taskArn"],
                     container=container, command="/bin/true", interactive=True,
                     **({"expect_error": "TargetNotConnectedException"} if crawler else {}))
            else:
                call(ecs, "ExecuteCommand", expect_error="InvalidParameterException",
                     cluster=cluster, task=task["taskArn"], container=container,
                     command="/bin/sh", interactive=True)
    call(ecs, "ListServices", expect_error="ClusterNotFoundException", cluster="nope")
    call(ecs, "ListTasks", expect_error="ServiceNotFoundException", cluster=clusters[0],
         serviceName="no-such-service")
ecs = client("ecs")
some_task = ecs.list_tasks(cluster="payments")["taskArns"][0]
call(ecs, "ExecuteCommand", expect_error="InvalidParameterException", cluster="payments",
     task=some_task, command="/bin/sh", interactive=False)
call(ecs, "DescribeServices", expect_error="InvalidParameterException", cluster="payments",
     services=[])

print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
