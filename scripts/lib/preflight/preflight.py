"""Offline deploy preflight (scripts/preflight): would CloudFormation, running
as the CI roles of cloudformation/github-oidc.yaml, be allowed to create,
update and delete every resource of cloudformation/template.yaml under an
environment's parameters; may the deploy role do what the deploy workflow
does; and may each function and identity-pool role make exactly the calls its
code makes, and nothing broader? Every request is decided by a real IAM
policy evaluator (@cloud-copilot/iam-simulate, see simulate.mjs)."""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import calls
import cfn
import handlers

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent


def active(stack, types):
    return [lid for lid in stack.resources if stack.type_of(lid) in types]


def role_policies(stack, role_lid, others=()):
    """The identity policies of a role and its permissions boundary (managed
    policies may come from another stack, such as the CI roles' boundary)."""
    props = stack.properties(role_lid)
    policies = [p["PolicyDocument"] for p in props.get("Policies", [])]
    managed = {}
    for source in (stack, *others):
        for lid in active(source, {"AWS::IAM::ManagedPolicy"}):
            managed[source.arn(lid)] = source.properties(lid)["PolicyDocument"]
    for arn in props.get("ManagedPolicyArns", []):
        if arn not in managed:
            raise cfn.TemplateError(f"{role_lid}: managed policy {arn} is in no template")
        policies.append(managed[arn])
    role_name = stack.name_of(role_lid)
    for lid in active(stack, {"AWS::IAM::Policy"}):
        policy = stack.properties(lid)
        if role_name in policy.get("Roles", []):
            policies.append(policy["PolicyDocument"])
    boundary = props.get("PermissionsBoundary")
    boundary_doc = None
    if boundary:
        if boundary not in managed:
            raise cfn.TemplateError(f"{role_lid}: boundary {boundary} is in no template")
        boundary_doc = managed[boundary]
    return policies, boundary_doc


# ------------------------------------------------- CloudFormation's handlers
NOT_POLICY = {"PolicyDocument", "Policies", "AssumeRolePolicyDocument", "KeyPolicy", "Environment"}


def candidates(stack, lid, exists):
    """ARNs a handler of this resource may be authorized on, each with the
    tags the evaluator sees on it (none on a resource not yet created)."""
    rtype = stack.type_of(lid)
    raw = stack.template["Resources"][lid].get("Properties", {})
    out = []

    def add(arn, owner, present=True):
        if arn and all(c["arn"] != arn for c in out):
            tags = stack.tags(owner) if present else {}
            out.append({"arn": arn, "context": {f"aws:ResourceTag/{k}": v for k, v in tags.items()}})

    add(stack.arn(lid), lid, exists)
    if rtype.startswith("AWS::ApiGatewayV2::"):
        api = lid if rtype == "AWS::ApiGatewayV2::Api" else raw["ApiId"]["Ref"]
        base = f"arn:{cfn.PARTITION}:apigateway:{stack.region}::/apis"
        collection = {"Api": "", "Route": "/routes", "Integration": "/integrations",
                      "Authorizer": "/authorizers", "Stage": "/stages"}[rtype.split("::")[2]]
        api_path = f"{base}/{stack.physical_id(api)}"
        if rtype == "AWS::ApiGatewayV2::Api":
            add(base, lid)
            add(api_path, lid)
        else:
            add(api_path + collection, lid)
            item = stack.properties(lid).get("StageName") if rtype.endswith("Stage") else stack.physical_id(lid)
            add(f"{api_path}{collection}/{item}", lid)
    for key, value in raw.items():
        if key in NOT_POLICY:
            continue
        for other in sorted(stack.referenced(value)):
            add(stack.arn(other), other)
    props = stack.properties(lid)
    code = props.get("Code", {})
    if isinstance(code, dict) and code.get("S3Bucket"):
        add(f"arn:{cfn.PARTITION}:s3:::{code['S3Bucket']}/{code['S3Key']}", lid, False)
    return out


def handler_requests(stack, principal, policies, boundary_doc):
    requests, dropped = [], []
    for lid in stack.resources:
        rtype = stack.type_of(lid)
        props = stack.properties(lid)
        tags = stack.tags(lid)
        retained = stack.template["Resources"][lid].get("DeletionPolicy") == "Retain"
        for op, actions in handlers.schema_permissions(rtype, stack.region).items():
            if op == "delete" and retained:
                continue  # CloudFormation leaves a retained resource in place
            kept, gone = handlers.narrowed(rtype, actions, props, bool(tags))
            dropped += [(lid, op, action, why) for action, why in gone]
            on_create = handlers.TAG_ON_CREATE.get(rtype) if op == "create" and tags else None
            if on_create and on_create[1] not in kept:
                kept.append(on_create[1])  # the service authorizes it with the create call
            for action in kept:
                service, name = action.split(":", 1)
                creating = op == "create" and name.startswith("Create")
                # A create's tags are authorized before the resource carries
                # them (see handlers.TAG_ON_CREATE): no aws:ResourceTag/*.
                tagging_new = op == "create" and bool(tags) and name in handlers.TAG_WRITES
                request_id = f"{lid} {op}"
                context = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
                if tags:
                    context["aws:TagKeys"] = sorted(tags)
                if name.startswith("Untag"):
                    # An update removes only the tags the template no longer has.
                    context = {"aws:TagKeys": ["removed-tag"]}
                context["aws:CalledVia"] = ["cloudformation.amazonaws.com"]
                cands = candidates(stack, lid, exists=not (creating or tagging_new))
                if tagging_new:
                    # On the new resource's own ARN, which a grant restricted
                    # to particular existing resources cannot name.
                    on_call = on_create and action == on_create[1]
                    request_id = (f"{lid} {op} (tags on {on_create[0].split(':', 1)[1]})" if on_call
                                  else f"{lid} {op} (tagging the new resource)")
                if action == "iam:PassRole":
                    context["iam:PassedToService"] = handlers.PASSED_TO.get(rtype, "")
                if action == "iam:CreateServiceLinkedRole":
                    service_name, role = handlers.SERVICE_LINKED[rtype]
                    context["iam:AWSServiceName"] = service_name
                    cands = [{"arn": f"arn:{cfn.PARTITION}:iam::{cfn.ACCOUNT}:role/aws-service-role/{service_name}/{role}",
                              "context": {}}]
                if service == "iam" and rtype == "AWS::IAM::Role" and props.get("PermissionsBoundary"):
                    context["iam:PermissionsBoundary"] = props["PermissionsBoundary"]
                if service == "iam" and rtype == "AWS::IAM::Policy":
                    # Inline policies go on roles that already carry their boundary.
                    for role in active(stack, {"AWS::IAM::Role"}):
                        if stack.name_of(role) in props.get("Roles", []):
                            bound = stack.properties(role).get("PermissionsBoundary")
                            if bound:
                                context["iam:PermissionsBoundary"] = bound
                requests.append({"id": request_id, "principal": principal, "action": action,
                                 "candidates": cands, "context": context, "policies": policies,
                                 "boundary": boundary_doc,
                                 # A key's own policy decides with the caller's (KMS needs both).
                                 "resourcePolicy": props.get("KeyPolicy") if rtype == "AWS::KMS::Key" else None})
            via = handlers.VIA_SERVICE_KMS.get(rtype)
            if via and op != "delete" and via[0](props):
                key = f"arn:{cfn.PARTITION}:kms:{stack.region}:{cfn.ACCOUNT}:key/aws-managed-{via[1]}-key"
                for action in via[2]:
                    requests.append({"id": f"{lid} {op} (via {via[1]})", "principal": principal, "action": action,
                                     "candidates": [{"arn": key, "context": {}}],
                                     "context": {"kms:ViaService": f"{via[1]}.{stack.region}.amazonaws.com",
                                                 "kms:CallerAccount": cfn.ACCOUNT,
                                                 "aws:CalledVia": [f"{via[1]}.amazonaws.com"]},
                                     "policies": policies, "boundary": boundary_doc,
                                     "resourcePolicy": aws_managed_key_policy(via[1], stack.region)})
    return requests, dropped


def aws_managed_key_policy(service, region):
    """The key policy AWS gives its managed keys (aws/SERVICE): any principal
    of the account, through that service only."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Resource": "*",
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant",
                   "kms:DescribeKey"],
        "Condition": {"StringEquals": {"kms:CallerAccount": cfn.ACCOUNT,
                                       "kms:ViaService": f"{service}.{region}.amazonaws.com"}}}]}


# ---------------------------------------------------------------- evaluation
# Services whose API lives in us-east-1 whatever the stack's region.
GLOBAL_SERVICES = ("cloudfront:", "iam:", "sts:")


def requested_region(requests, region):
    """AWS sets aws:RequestedRegion on every request: the stack's region, or
    us-east-1 for the global services."""
    for request in requests:
        home = "us-east-1" if request["action"].startswith(GLOBAL_SERVICES) else region
        request["context"].setdefault("aws:RequestedRegion", home)
    return requests


def simulate(requests):
    node = subprocess.run(["node", str(HERE / "simulate.mjs")], input=json.dumps(
        {"account": cfn.ACCOUNT, "requests": requests}), capture_output=True, text=True, cwd=HERE)
    if node.returncode != 0:
        raise SystemExit(f"error: the IAM evaluator failed: {node.stderr.strip()[:2000]}")
    return json.loads(node.stdout)["results"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, help="parameters file cloudformation/params/ENV.json")
    parser.add_argument("--template", default=str(ROOT / "cloudformation" / "template.yaml"))
    parser.add_argument("--roles-template", default=str(ROOT / "cloudformation" / "github-oidc.yaml"))
    parser.add_argument("--binaries", help="directory of the built Lambda binaries (default: cargo's debug dir)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--verbose", action="store_true", help="print every decision and every narrowing")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a parameter over the file's (repeatable), to check options an environment leaves off")
    args = parser.parse_args()

    params_file = ROOT / "cloudformation" / "params" / f"{args.env}.json"
    if not params_file.is_file():
        known = sorted(p.stem for p in params_file.parent.glob("*.json"))
        raise SystemExit(f"error: unknown environment {args.env!r} (no {params_file.relative_to(ROOT)}; known: {', '.join(known)})")
    try:
        given = json.loads(params_file.read_text())
    except ValueError as err:
        raise SystemExit(f"error: {params_file.relative_to(ROOT)} is not JSON: {err}")
    for setting in args.set:
        key, sep, value = setting.partition("=")
        if not sep:
            raise SystemExit(f"error: --set {setting!r} is not KEY=VALUE")
        given[key] = value
    stack_name = f"auth-{args.env}"
    bucket = f"auth-{args.env}-artifacts-{cfn.ACCOUNT}-{args.region}"
    code_keys = {k: f"lambda/{k}-0123456789abcdef.zip" for k in calls.FUNCTION_BINARIES}
    try:
        stack = cfn.Stack(cfn.load(args.template), stack_name,
                          {**given, **code_keys, "ArtifactBucket": bucket}, args.region)
        roles = cfn.Stack(cfn.load(args.roles_template), f"auth-github-{args.env}",
                          {"GitHubOrg": "example-org", "GitHubRepo": "example-repo",
                           "DeployEnvironment": args.env}, args.region)
    except cfn.TemplateError as err:
        raise SystemExit(f"error: {err}")

    checks = []  # (group, request, expect "Allowed" or "Denied")
    exec_lid, deploy_lid = "ExecutionRole", "DeployRole"
    for lid in (exec_lid, deploy_lid):
        if lid not in roles.resources:
            raise SystemExit(f"error: {args.roles_template}: no {lid}")
    try:
        policies, boundary = role_policies(roles, exec_lid)
        deploy_policies, deploy_boundary = role_policies(roles, deploy_lid)
    except cfn.TemplateError as err:
        raise SystemExit(f"error: {err}")
    principal = f"arn:{cfn.PARTITION}:sts::{cfn.ACCOUNT}:assumed-role/{roles.name_of(exec_lid)}/AWSCloudFormation"
    handler_reqs, dropped = handler_requests(stack, principal, policies, boundary)
    checks += [("execution role", r, "Allowed") for r in handler_reqs]

    for request in calls.deploy_role_requests(stack, roles, deploy_lid, bucket):
        request.update(policies=deploy_policies, boundary=deploy_boundary)
        checks.append(("deploy role", request, "Allowed"))

    binaries = Path(args.binaries) if args.binaries else calls.default_binaries()
    try:
        for group, request, expect in calls.runtime_requests(stack, binaries, ROOT / "web" / "src"):
            policies_of, boundary_of = role_policies(stack, request.pop("role"), [roles])
            request.update(policies=policies_of, boundary=boundary_of)
            checks.append((group, request, expect))
        broader = calls.unused_grants(stack, binaries)
    except (calls.CodeError, cfn.TemplateError) as err:
        raise SystemExit(f"error: {err}")

    results = simulate(requested_region([dict(r, id=str(i)) for i, (_, r, _) in enumerate(checks)], stack.region))
    failures, undecided = [], []
    by_group = {}
    for result in results:
        group, request, expect = checks[int(result["id"])]
        decision = result["decision"]
        if decision == "Undecided":
            undecided.append(f"{group}: {request['id']}: {result['action']} on {result['resource']}")
            continue
        ok = decision == "Allowed" if expect == "Allowed" else decision in ("ImplicitlyDenied", "ExplicitlyDenied")
        stats = by_group.setdefault(group, [0, 0])
        stats[0] += 1
        stats[1] += 0 if ok else 1
        line = f"{request['id']}: {result['action']} on {result['resource']}: {decision} (expected {expect})"
        if result.get("detail"):
            line += f"\n      {result['detail']}"
        if not ok:
            failures.append(f"{group}: {line}")
        elif args.verbose:
            print(f"    ok  {group}: {line}")
    if args.verbose:
        for lid, op, action, why in dropped:
            print(f"    narrowed {lid} {op}: {action} ({why})")

    resources = len(stack.resources)
    print(f"preflight {args.env}: {resources} resources of {Path(args.template).name}, "
          f"{len(results)} requests evaluated, {len(dropped)} schema permissions narrowed away")
    for group, (count, bad) in by_group.items():
        print(f"    {group}: {count} requests, {bad} not as expected")
    for line in broader:
        failures.append(f"broader than the code: {line}")
    print(f"    grants the code never uses: {len(broader)}")
    # Not passed, not failed: listed so that nobody reads them as checked.
    print(f"    undecided: {len(undecided)} (the evaluator cannot read API Gateway v2 resource types "
          "that have two ARN forms)")
    for line in undecided if args.verbose else []:
        print(f"      {line}")
    if failures:
        print(f"FAILED: {len(failures)} problems", file=sys.stderr)
        for line in failures:
            print(f"  {line}", file=sys.stderr)
        return 1
    print("    denied: 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
