"""A CloudFormation template as a stack would see it: parameters with their
defaults, conditions evaluated, intrinsic functions resolved, and every
resource's physical name and ARN as CloudFormation would give them (names a
template leaves out are generated the way CloudFormation generates them)."""
import json
import zlib
import re
from pathlib import Path

from cfnlint.decode import cfn_yaml

ACCOUNT = "123456789012"
PARTITION = "aws"
# Stands for the random part of a generated name (CloudFormation uses 12-13
# upper-case letters and digits).
SUFFIX = "PREFLIGHT0ABC"


class TemplateError(Exception):
    pass


def load(path):
    path = Path(path)
    if not path.is_file():
        raise TemplateError(f"{path}: no such template")
    try:
        template = cfn_yaml.load(str(path))
    except Exception as err:  # cfn-lint raises several kinds for bad YAML
        raise TemplateError(f"{path}: not a readable template ({err})") from err
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources)")
    return json.loads(json.dumps(template))  # plain dicts and lists


# How CloudFormation names a resource whose template gives no name: the stack
# name, the logical ID and a random suffix, the logical ID cut to fit the
# type's limit. Per type: (name property, maximum length, generated form).
_NAMES = {
    "AWS::DynamoDB::Table": ("TableName", 255, "stack"),
    "AWS::IAM::Role": ("RoleName", 64, "stack"),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName", 128, "stack"),
    "AWS::Lambda::Function": ("FunctionName", 64, "stack"),
    "AWS::Logs::LogGroup": ("LogGroupName", 512, "stack"),
    "AWS::SNS::Topic": ("TopicName", 256, "stack"),
    "AWS::CloudWatch::Alarm": ("AlarmName", 255, "stack"),
    "AWS::S3::Bucket": ("BucketName", 63, "lower"),
    # The stack name is not part of an unnamed web ACL's generated name, so
    # it never matches a policy scoped to the stack's prefix.
    "AWS::WAFv2::WebACL": ("Name", 128, "logical"),
    "AWS::SSM::Parameter": ("Name", 2048, "ssm"),
    "AWS::SecretsManager::Secret": ("Name", 512, "stack"),
    "AWS::CloudFront::Function": ("Name", 64, "stack"),
}


class Stack:
    def __init__(self, template, stack_name, parameters, region):
        self.template = template
        self.name = stack_name
        self.region = region
        self.params = self._parameters(parameters)
        self.conditions = {}
        for key in template.get("Conditions", {}):
            self.condition(key)
        self.resources = {
            lid: res for lid, res in template["Resources"].items()
            if "Condition" not in res or self.condition(res["Condition"])
        }

    # ------------------------------------------------------------ parameters
    def _parameters(self, given):
        definitions = self.template.get("Parameters", {})
        unknown = sorted(set(given) - set(definitions))
        if unknown:
            raise TemplateError(f"unknown parameters {unknown}")
        values = {}
        for key, definition in definitions.items():
            if key in given:
                value = str(given[key])
            elif "Default" in definition:
                value = str(definition["Default"])
            else:
                raise TemplateError(f"parameter {key} has no value")
            allowed = definition.get("AllowedValues")
            if allowed and value not in [str(a) for a in allowed]:
                raise TemplateError(f"parameter {key}={value!r} is not one of {allowed}")
            if definition.get("Type") == "CommaDelimitedList":
                values[key] = [part.strip() for part in value.split(",")] if value else []
            else:
                values[key] = value
        return values

    def condition(self, name):
        if name not in self.conditions:
            definitions = self.template.get("Conditions", {})
            if name not in definitions:
                raise TemplateError(f"unknown condition {name}")
            self.conditions[name] = None  # a cycle resolves to an error below
            self.conditions[name] = bool(self.resolve(definitions[name]))
        if self.conditions[name] is None:
            raise TemplateError(f"condition {name} refers to itself")
        return self.conditions[name]

    # ------------------------------------------------------------ intrinsics
    NO_VALUE = object()

    def resolve(self, value):
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not self.NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            handler = getattr(self, "_fn_" + key.replace("::", "_"), None)
            if handler:
                return handler(arg)
        out = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not self.NO_VALUE}

    def _fn_Ref(self, name):
        pseudo = {
            "AWS::StackName": self.name, "AWS::Region": self.region, "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION, "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{self.region}:{ACCOUNT}:stack/{self.name}/id",
        }
        if name == "AWS::NoValue":
            return self.NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in self.params:
            return self.params[name]
        if name in self.template["Resources"]:
            return self.physical_id(name)
        raise TemplateError(f"Ref to unknown {name}")

    def _fn_Fn_GetAtt(self, arg):
        lid, attr = arg.split(".", 1) if isinstance(arg, str) else arg
        return self.attribute(lid, attr)

    def _fn_Fn_Sub(self, arg):
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match):
            token = match.group(1)
            if token.startswith("!"):
                return "${" + token[1:] + "}"
            if token in variables:
                return str(variables[token])
            if "." in token and token.split(".", 1)[0] in self.template["Resources"]:
                return str(self._fn_Fn_GetAtt(token))
            value = self._fn_Ref(token)
            return ",".join(value) if isinstance(value, list) else str(value)

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def _fn_Fn_Join(self, arg):
        sep, items = arg[0], self.resolve(arg[1])
        return sep.join(str(i) for i in items)

    def _fn_Fn_Split(self, arg):
        return str(self.resolve(arg[1])).split(arg[0])

    def _fn_Fn_Select(self, arg):
        return self.resolve(arg[1])[int(self.resolve(arg[0]))]

    def _fn_Fn_If(self, arg):
        return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])

    def _fn_Fn_Equals(self, arg):
        a, b = (self.resolve(x) for x in arg)
        return str(a) == str(b)

    def _fn_Fn_Not(self, arg):
        return not self.resolve(arg[0])

    def _fn_Fn_And(self, arg):
        return all(self.resolve(x) for x in arg)

    def _fn_Fn_Or(self, arg):
        return any(self.resolve(x) for x in arg)

    def _fn_Condition(self, name):
        return self.condition(name)

    # ------------------------------------------------------ names and ARNs
    def type_of(self, lid):
        return self.template["Resources"][lid]["Type"]

    def properties(self, lid):
        return self.resolve(self.template["Resources"][lid].get("Properties", {}))

    def name_of(self, lid):
        rtype = self.type_of(lid)
        prop, limit, form = _NAMES.get(rtype, (None, 255, "stack"))
        given = self.template["Resources"][lid].get("Properties", {}).get(prop) if prop else None
        if given is not None:
            return str(self.resolve(given))
        if form == "logical":
            return f"{lid}-{SUFFIX}"[:limit]
        if form == "ssm":
            return f"CFN-{lid}-{SUFFIX}"
        room = limit - len(self.name) - len(SUFFIX) - 2
        name = f"{self.name}-{lid[:max(room, 1)]}-{SUFFIX}"
        return name.lower() if form == "lower" else name

    def physical_id(self, lid):
        rtype = self.type_of(lid)
        r, a = self.region, ACCOUNT
        if rtype == "AWS::Cognito::UserPool":
            return f"{r}_PrEfLiGhT"
        if rtype == "AWS::Cognito::UserPoolClient":
            return f"client{lid.lower()}"
        if rtype == "AWS::Cognito::IdentityPool":
            return f"{r}:00000000-0000-4000-8000-00000000{zlib.crc32(lid.encode()) % 10000:04d}"
        if rtype in ("AWS::SNS::Topic", "AWS::IAM::ManagedPolicy", "AWS::IAM::OIDCProvider"):
            return self.arn(lid)
        if rtype == "AWS::KMS::Key":
            return "0000aaaa-bbbb-4ccc-8ddd-" + f"{zlib.crc32(lid.encode()):012d}"
        if rtype.startswith("AWS::ApiGatewayV2::"):
            return lid.lower()[:10]
        if rtype == "AWS::WAFv2::WebACL":
            return f"{self.name_of(lid)}|webacl-id|{self.properties(lid).get('Scope', 'REGIONAL')}"
        if rtype == "AWS::CloudFront::Distribution":
            return f"EPREFLIGHT{zlib.crc32(lid.encode()) % 10000:04d}"
        if rtype == "AWS::SecretsManager::Secret":
            return self.arn(lid)
        if rtype in _NAMES:
            return self.name_of(lid)
        return f"{self.name}-{lid}-{SUFFIX}"

    def attribute(self, lid, attr):
        rtype = self.type_of(lid)
        if attr == "Arn" and rtype == "AWS::Logs::LogGroup":
            return self.arn(lid) + ":*"
        if attr == "Arn" or (attr == "TopicArn" and rtype == "AWS::SNS::Topic"):
            return self.arn(lid)
        if rtype == "AWS::Cognito::UserPool" and attr == "ProviderName":
            return f"cognito-idp.{self.region}.amazonaws.com/{self.physical_id(lid)}"
        if rtype == "AWS::IAM::Role" and attr == "RoleId":
            return "AROAPREFLIGHT"
        if rtype == "AWS::CloudFront::Function" and attr == "FunctionMetadata.FunctionARN":
            return self.arn(lid)
        if rtype == "AWS::CloudFront::Distribution" and attr == "DomainName":
            return f"{self.physical_id(lid).lower()}.cloudfront.net"
        return f"{lid}.{attr}"

    def arn(self, lid):
        """The ARN IAM knows the resource by (None for types IAM does not name)."""
        rtype, r, a, p = self.type_of(lid), self.region, ACCOUNT, PARTITION
        name = self.name_of(lid) if rtype in _NAMES else None
        forms = {
            "AWS::DynamoDB::Table": lambda: f"arn:{p}:dynamodb:{r}:{a}:table/{name}",
            "AWS::IAM::Role": lambda: f"arn:{p}:iam::{a}:role/{name}",
            "AWS::IAM::ManagedPolicy": lambda: f"arn:{p}:iam::{a}:policy/{name}",
            "AWS::IAM::OIDCProvider": lambda: f"arn:{p}:iam::{a}:oidc-provider/token.actions.githubusercontent.com",
            "AWS::Lambda::Function": lambda: f"arn:{p}:lambda:{r}:{a}:function:{name}",
            # IAM authorizes log-group calls on this form; GetAtt Arn adds ":*".
            "AWS::Logs::LogGroup": lambda: f"arn:{p}:logs:{r}:{a}:log-group:{name}",
            "AWS::SNS::Topic": lambda: f"arn:{p}:sns:{r}:{a}:{name}",
            "AWS::CloudWatch::Alarm": lambda: f"arn:{p}:cloudwatch:{r}:{a}:alarm:{name}",
            "AWS::S3::Bucket": lambda: f"arn:{p}:s3:::{name}",
            # CLOUDFRONT-scope ACLs are global, kept in us-east-1.
            "AWS::WAFv2::WebACL": lambda: (
                f"arn:{p}:wafv2:us-east-1:{a}:global/webacl/{name}/webacl-id"
                if self.properties(lid).get("Scope") == "CLOUDFRONT"
                else f"arn:{p}:wafv2:{r}:{a}:regional/webacl/{name}/webacl-id"),
            "AWS::SecretsManager::Secret": lambda: f"arn:{p}:secretsmanager:{r}:{a}:secret:{name}-PrEfLi",
            "AWS::CloudFront::Function": lambda: f"arn:{p}:cloudfront::{a}:function/{name}",
            "AWS::CloudFront::Distribution": lambda: f"arn:{p}:cloudfront::{a}:distribution/{self.physical_id(lid)}",
            "AWS::SSM::Parameter": lambda: f"arn:{p}:ssm:{r}:{a}:parameter/{name.lstrip('/')}",
            "AWS::Cognito::UserPool": lambda: f"arn:{p}:cognito-idp:{r}:{a}:userpool/{self.physical_id(lid)}",
            "AWS::Cognito::IdentityPool":
                lambda: f"arn:{p}:cognito-identity:{r}:{a}:identitypool/{self.physical_id(lid)}",
            "AWS::KMS::Key": lambda: f"arn:{p}:kms:{r}:{a}:key/{self.physical_id(lid)}",
            "AWS::ApiGatewayV2::Api": lambda: f"arn:{p}:apigateway:{r}::/apis/{self.physical_id(lid)}",
        }
        form = forms.get(rtype)
        return form() if form else None

    def tags(self, lid):
        """The resource's tags as CloudFormation sends them on create."""
        props = self.properties(lid)
        for key in ("Tags", "UserPoolTags", "IdentityPoolTags"):
            tags = props.get(key)
            if isinstance(tags, dict):
                return {str(k): str(v) for k, v in tags.items()}
            if isinstance(tags, list):
                return {str(t["Key"]): str(t["Value"]) for t in tags}
        return {}

    def referenced(self, value):
        """Logical IDs that a (raw) property value refers to."""
        found = set()
        if isinstance(value, dict):
            for key, arg in value.items():
                if key == "Ref" and isinstance(arg, str) and arg in self.resources:
                    found.add(arg)
                elif key == "Fn::GetAtt":
                    lid = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
                    if lid in self.resources:
                        found.add(lid)
                elif key == "Fn::Sub":
                    text = arg if isinstance(arg, str) else arg[0]
                    for token in re.findall(r"\$\{([^}!][^}]*)\}", text):
                        if token.split(".", 1)[0] in self.resources:
                            found.add(token.split(".", 1)[0])
                    if not isinstance(arg, str):
                        found |= self.referenced(arg[1])
                else:
                    found |= self.referenced(arg)
        elif isinstance(value, list):
            for item in value:
                found |= self.referenced(item)
        return found
