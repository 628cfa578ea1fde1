"""What CloudFormation's resource handlers call to create, update and delete
each resource, as the registry schemas that cfn-lint ships list them
(`handlers.*.permissions`), narrowed to what the resource's properties need.

The schema lists every call a handler may make for any combination of
properties; a deploy of this stack makes fewer. Each narrowing below keeps an
action only when the properties that make the handler call it are present,
and says why. Where a schema names something IAM does not know, it is
translated or dropped here, with the reason."""
import json
from pathlib import Path

import cfnlint

SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"

# Service principal that receives a role passed by a handler of a type.
PASSED_TO = {
    "AWS::Lambda::Function": "lambda.amazonaws.com",
    "AWS::Cognito::IdentityPoolRoleAttachment": "cognito-identity.amazonaws.com",
    "AWS::Cognito::IdentityPool": "cognito-identity.amazonaws.com",
    "AWS::Cognito::UserPool": "cognito-idp.amazonaws.com",
    "AWS::Cognito::UserPoolClient": "cognito-idp.amazonaws.com",
    "AWS::Cognito::UserPoolGroup": "cognito-idp.amazonaws.com",
    "AWS::ApiGatewayV2::Integration": "apigateway.amazonaws.com",
    "AWS::ApiGatewayV2::Authorizer": "apigateway.amazonaws.com",
    "AWS::SNS::Topic": "sns.amazonaws.com",
}

# Tagging calls: made only for a resource that has tags. (CloudFormation's own
# aws:cloudformation:* tags need no tagging permission.)
TAG_ACTIONS = {"TagResource", "UntagResource", "ListTagsForResource", "ListTagsOfResource", "TagRole",
               "UntagRole", "AddTagsToResource", "RemoveTagsFromResource", "ListResourceTags"}
# The ones that add tags.
TAG_WRITES = {"TagResource", "TagRole", "AddTagsToResource"}

# Tagging at creation. Whether a handler's create call carries the tags or it
# tags the resource right after creating it, the tagging call is authorized
# before the resource carries those tags: no aws:ResourceTag/* condition can
# match, only aws:RequestTag/* and aws:TagKeys (the preflight evaluates every
# tag write of a create that way). Where a service's documentation says its
# create call is itself authorized for the tagging action, the type is listed
# here, and the action is evaluated with the create even where the schema
# leaves it out: (create call, tagging action, the documentation). Each is
# evaluated on the new resource's own ARN (which no grant restricted to
# particular existing resources can name), without tags.
TAG_ON_CREATE = {
    "AWS::KMS::Key": (
        "kms:CreateKey", "kms:TagResource",
        "AWS KMS Developer Guide, 'Controlling access to tags' (kms:TagResource): tags added while creating a "
        "key need the permission in an IAM policy not restricted to particular keys; 'Managing KMS key tags with "
        "API operations' (CreateKey): the kms:TagResource permission must cover at least every key of the "
        "account and Region. The CloudFormation handler sends the tags in CreateKey "
        "(aws-cloudformation-resource-providers-kms, key/CreateHandler.java)."),
    "AWS::Lambda::Function": (
        "lambda:CreateFunction", "lambda:TagResource",
        "AWS Lambda Developer Guide, 'Using tags on Lambda functions' (Permissions required for working with "
        "tags): lambda:TagResource is needed to call TagResource and to tag on create."),
}


def has(*keys):
    return lambda props: any(props.get(key) not in (None, "", [], {}) for key in keys)


def never(props):
    return False


def nested(path):
    def test(props):
        value = props
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        return value not in (None, "", [], {})
    return test


def dynamodb_customer_key(props):
    return nested("SSESpecification.KMSMasterKeyId")(props)


def email_through_ses(props):
    return nested("EmailConfiguration.EmailSendingAccount")(props) and \
        props["EmailConfiguration"]["EmailSendingAccount"] == "DEVELOPER"


def any_origin_has(key):
    def test(props):
        origins = (props.get("DistributionConfig") or {}).get("Origins") or []
        return any(isinstance(o, dict) and o.get(key) not in (None, "", [], {}) for o in origins)
    return test


def association_on(service):
    return lambda props: str(props.get("ResourceArn", "")).split(":")[2:3] == [service]


# (type, actions (exact, or "service:*"), needed when, why)
NARROWINGS = [
    ("AWS::ApiGatewayV2::Api", ["s3:getObject"], has("BodyS3Location"), "reads an OpenAPI body from S3 only with BodyS3Location"),
    ("AWS::ApiGatewayV2::Integration", ["iam:PassRole"], has("CredentialsArn"), "passes a role only with CredentialsArn"),
    ("AWS::ApiGatewayV2::Authorizer", ["iam:PassRole"], has("AuthorizerCredentialsArn"), "passes a role only with AuthorizerCredentialsArn"),
    ("AWS::CloudFront::Distribution", ["cloudfront:CreateConnectionGroup", "cloudfront:GetConnectionGroup"],
     nested("DistributionConfig.ConnectionMode"), "connection groups only for multi-tenant distributions (ConnectionMode)"),
    ("AWS::CloudFront::Distribution", ["cloudfront:GetVpcOrigin"], any_origin_has("VpcOriginConfig"),
     "VPC origins only with an origin's VpcOriginConfig"),
    ("AWS::CloudFront::Distribution", ["cloudfront:UpdateDistributionWithStagingConfig"],
     nested("DistributionConfig.ContinuousDeploymentPolicyId"), "staging distributions only with continuous deployment"),
    ("AWS::CloudFront::Distribution", ["cloudfront:CreateDistributionWithTags"], has("Tags"),
     "CreateDistributionWithTags only when the distribution has Tags"),
    ("AWS::SecretsManager::Secret", ["secretsmanager:ReplicateSecretToRegions", "secretsmanager:RemoveRegionsFromReplication"],
     has("ReplicaRegions"), "replication only with ReplicaRegions"),
    ("AWS::Cognito::UserPoolRiskConfigurationAttachment", ["iam:PassRole"],
     nested("AccountTakeoverRiskConfiguration.NotifyConfiguration"),
     "the attachment has no role property; the only identity it hands Cognito is the notification mail's "
     "(NotifyConfiguration), which this stack does not set"),
    ("AWS::Lambda::Function", ["ec2:*", "elasticfilesystem:*", "s3files:*"], has("VpcConfig", "FileSystemConfigs"),
     "network and file-system look-ups only with VpcConfig or FileSystemConfigs"),
    ("AWS::Lambda::Function", ["kms:*"], has("KmsKeyArn"), "Lambda encrypts variables with its AWS managed key unless KmsKeyArn is set"),
    ("AWS::Lambda::Function", ["lambda:GetCodeSigningConfig", "lambda:GetFunctionCodeSigningConfig",
                               "lambda:PutFunctionCodeSigningConfig", "lambda:DeleteFunctionCodeSigningConfig"],
     has("CodeSigningConfigArn"), "code signing only with CodeSigningConfigArn"),
    ("AWS::Lambda::Function", ["lambda:GetLayerVersion"], has("Layers"), "layers only with Layers"),
    ("AWS::Lambda::Function", ["lambda:GetRuntimeManagementConfig", "lambda:PutRuntimeManagementConfig"],
     has("RuntimeManagementConfig"), "runtime management only with RuntimeManagementConfig"),
    ("AWS::Lambda::Function", ["lambda:PutFunctionRecursionConfig", "lambda:GetFunctionRecursionConfig"],
     has("RecursiveLoop"), "recursion control only with RecursiveLoop"),
    ("AWS::Lambda::Function", ["lambda:PutFunctionScalingConfig", "lambda:PassCapacityProvider", "lambda:AssociateRuntimeAlias"],
     has("CapacityProviderConfig"), "capacity providers (Lambda managed instances) only with CapacityProviderConfig"),
    ("AWS::Lambda::Function", ["lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency"],
     has("ReservedConcurrentExecutions"), "reserved concurrency only with ReservedConcurrentExecutions"),
    ("AWS::Lambda::Function", ["lambda:PublishVersion"], has("SnapStart"), "publishes a version only for SnapStart"),
    ("AWS::Lambda::Function", ["s3:GetObjectVersion"], nested("Code.S3ObjectVersion"), "object versions only with Code.S3ObjectVersion"),
    ("AWS::DynamoDB::Table", ["dynamodb:ImportTable", "dynamodb:DescribeImport", "s3:*", "logs:*"],
     has("ImportSourceSpecification"), "imports (and their S3 reads and logs) only with ImportSourceSpecification"),
    ("AWS::DynamoDB::Table", ["kinesis:*", "dynamodb:EnableKinesisStreamingDestination",
                              "dynamodb:DisableKinesisStreamingDestination", "dynamodb:UpdateKinesisStreamingDestination"],
     has("KinesisStreamSpecification"), "Kinesis streaming only with KinesisStreamSpecification"),
    ("AWS::DynamoDB::Table", ["iam:CreateServiceLinkedRole"], has("KinesisStreamSpecification", "ContributorInsightsSpecification"),
     "DynamoDB's service-linked roles only for Kinesis streaming or contributor insights"),
    ("AWS::DynamoDB::Table", ["dynamodb:CreateTableReplica", "dynamodb:AssociateTableReplica"], has("Replicas"),
     "replicas belong to AWS::DynamoDB::GlobalTable"),
    ("AWS::DynamoDB::Table", ["dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy"], has("ResourcePolicy"),
     "resource policies only with ResourcePolicy"),
    ("AWS::DynamoDB::Table", ["kms:*"], dynamodb_customer_key,
     "with the AWS managed key DynamoDB calls KMS itself (checked below as kms:ViaService); the caller's own KMS calls need KMSMasterKeyId"),
    ("AWS::Cognito::UserPool", ["iam:PassRole"], nested("SmsConfiguration.SnsCallerArn"), "passes a role only for SMS (SmsConfiguration)"),
    ("AWS::Cognito::UserPool", ["kms:*"], nested("LambdaConfig.KMSKeyID"), "KMS only for custom sender triggers (LambdaConfig.KMSKeyID)"),
    ("AWS::Cognito::UserPool", ["iam:CreateServiceLinkedRole"], email_through_ses,
     "creates the email.cognito-idp.amazonaws.com service-linked role when mail goes through SES (DEVELOPER)"),
    ("AWS::Cognito::UserPool", ["cognito-idp:AddCustomAttributes"], has("Schema"), "custom attributes only with Schema"),
    ("AWS::Cognito::UserPoolClient", ["iam:PassRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:CreateServiceLinkedRole"],
     has("AnalyticsConfiguration"), "Pinpoint analytics only with AnalyticsConfiguration"),
    ("AWS::Cognito::UserPoolGroup", ["iam:PassRole", "iam:PutRolePolicy"], has("RoleArn"), "a group's role only with RoleArn"),
    ("AWS::Cognito::UserPoolDomain", ["cloudfront:*", "kms:*"], has("CustomDomainConfig"),
     "CloudFront and certificates only for a custom domain (CustomDomainConfig)"),
    ("AWS::Cognito::IdentityPool", ["cognito-sync:*", "iam:PassRole"], has("CognitoStreams", "PushSync", "CognitoEvents"),
     "Cognito Sync only with CognitoStreams, PushSync or CognitoEvents"),
    ("AWS::IAM::Role", ["iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"], has("ManagedPolicyArns"),
     "managed policies only with ManagedPolicyArns"),
    ("AWS::IAM::Role", ["iam:PutRolePermissionsBoundary"], has("PermissionsBoundary"),
     "boundary calls only with PermissionsBoundary"),
    ("AWS::IAM::Role", ["iam:DeleteRolePermissionsBoundary"], never,
     "called only when a template drops PermissionsBoundary, which the execution role must never allow"),
    ("AWS::IAM::Policy", ["iam:GetUserPolicy", "iam:PutUserPolicy", "iam:DeleteUserPolicy"], has("Users"), "users only with Users"),
    ("AWS::IAM::Policy", ["iam:GetGroupPolicy", "iam:PutGroupPolicy", "iam:DeleteGroupPolicy"], has("Groups"), "groups only with Groups"),
    ("AWS::Logs::LogGroup", ["logs:GetDataProtectionPolicy", "logs:PutDataProtectionPolicy", "logs:DeleteDataProtectionPolicy"],
     has("DataProtectionPolicy"), "data protection only with DataProtectionPolicy"),
    ("AWS::Logs::LogGroup", ["logs:PutIndexPolicy", "logs:DescribeIndexPolicies", "logs:DeleteIndexPolicy"],
     has("FieldIndexPolicies"), "field indexes only with FieldIndexPolicies"),
    ("AWS::Logs::LogGroup", ["logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DeleteResourcePolicy"],
     has("ResourcePolicyDocument"), "resource policies only with ResourcePolicyDocument"),
    ("AWS::Logs::LogGroup", ["logs:PutBearerTokenAuthentication"], has("BearerTokenAuthenticationEnabled"),
     "bearer tokens only with BearerTokenAuthenticationEnabled"),
    ("AWS::Logs::LogGroup", ["logs:AssociateKmsKey", "logs:DisassociateKmsKey"], has("KmsKeyId"), "KMS only with KmsKeyId"),
    ("AWS::Logs::LogGroup", ["logs:PutLogGroupDeletionProtection"], has("DeletionProtectionEnabled"),
     "deletion protection only with DeletionProtectionEnabled"),
    # The schema lists delivery-destination calls under LogGroup, and
    # "s3:REST.PUT.OBJECT", which is an S3 access-log operation name, not an
    # IAM action: none is called for a plain log group.
    ("AWS::Logs::LogGroup", ["logs:CreateLogDelivery", "s3:*", "firehose:*"], never,
     "delivery destinations are not a log group property"),
    ("AWS::SNS::Topic", ["iam:GetRole", "iam:PassRole"], has("DeliveryStatusLogging"), "delivery-status roles only with DeliveryStatusLogging"),
    ("AWS::SNS::Topic", ["sns:GetDataProtectionPolicy", "sns:PutDataProtectionPolicy"], has("DataProtectionPolicy"),
     "data protection only with DataProtectionPolicy"),
    ("AWS::SNS::Topic", ["sns:Unsubscribe", "sns:ListSubscriptionsByTopic"], has("Subscription"), "subscriptions only with Subscription"),
    ("AWS::WAFv2::WebACL", ["payments:*"], never, "payments only for paid AWS Marketplace rule groups; this ACL uses free AWS managed rules"),
    ("AWS::WAFv2::WebACLAssociation", ["wafv2:PutPermissionPolicy", "wafv2:GetPermissionPolicy"], never,
     "permission policies belong to shared rule groups, not associations"),
    ("AWS::WAFv2::WebACLAssociation", ["elasticloadbalancing:*"], association_on("elasticloadbalancing"), "only for a load balancer"),
    ("AWS::WAFv2::WebACLAssociation", ["apigateway:*"], association_on("apigateway"), "only for a REST API stage"),
    ("AWS::WAFv2::WebACLAssociation", ["appsync:*"], association_on("appsync"), "only for an AppSync API"),
    ("AWS::WAFv2::WebACLAssociation", ["apprunner:*"], association_on("apprunner"), "only for an App Runner service"),
    ("AWS::WAFv2::WebACLAssociation", ["ec2:*"], association_on("ec2"), "only for a Verified Access instance"),
    ("AWS::WAFv2::WebACLAssociation", ["amplify:*"], association_on("amplify"), "only for an Amplify app"),
    ("AWS::WAFv2::WebACLAssociation", ["bedrock-agentcore:*"], association_on("bedrock-agentcore"), "only for an AgentCore gateway"),
    ("AWS::WAFv2::WebACLAssociation", ["cognito-idp:*"], association_on("cognito-idp"), "only for a user pool"),
    ("AWS::WAFv2::LoggingConfiguration", ["firehose:*", "iam:CreateServiceLinkedRole"],
     lambda p: any(":firehose:" in str(d) for d in p.get("LogDestinationConfigs", [])),
     "the WAF logging service-linked role and Firehose only for a Firehose destination"),
    ("AWS::WAFv2::LoggingConfiguration", ["s3:*"], lambda p: any(":s3:" in str(d) for d in p.get("LogDestinationConfigs", [])),
     "S3 only for an S3 destination"),
    # "iam:DescribeOrganization" is not an IAM action (the schema means the
    # Firewall Manager check organizations:DescribeOrganization).
    ("AWS::WAFv2::LoggingConfiguration", ["iam:DescribeOrganization"], never, "Firewall Manager only"),
    ("AWS::Cognito::LogDeliveryConfiguration", ["s3:*"], lambda p: "S3Configuration" in json.dumps(p), "S3 only for an S3 destination"),
    ("AWS::Cognito::LogDeliveryConfiguration", ["firehose:*", "iam:CreateServiceLinkedRole"],
     lambda p: "FirehoseConfiguration" in json.dumps(p), "Firehose (and its service-linked role) only for a Firehose destination"),
    ("AWS::KMS::Key", ["kms:DisableKey", "kms:EnableKey"], has("Enabled"), "enabling and disabling only with Enabled"),
    ("AWS::KMS::Key", ["kms:DisableKeyRotation"], never, "rotation stays on"),
]

# Translations of schema entries that IAM knows under another name.
TRANSLATE = {
    # API Gateway authorizes tagging as HTTP verbs on the tags path.
    "apigateway:TagResource": "apigateway:PUT",
    "apigateway:UntagResource": "apigateway:DELETE",
}

# Service-linked roles a handler of a type creates: (service name, role name).
SERVICE_LINKED = {
    "AWS::Cognito::UserPool": ("email.cognito-idp.amazonaws.com", "AWSServiceRoleForAmazonCognitoIdpEmailService"),
    "AWS::Cognito::LogDeliveryConfiguration": ("delivery.logs.amazonaws.com", "AWSServiceRoleForLogDelivery"),
    "AWS::WAFv2::LoggingConfiguration": ("wafv2.amazonaws.com", "AWSServiceRoleForWAFV2Logging"),
    "AWS::DynamoDB::Table": ("kinesisreplication.dynamodb.amazonaws.com", "AWSServiceRoleForDynamoDBKinesisDataStreamsReplication"),
}

# Calls a service makes to KMS on the caller's behalf, per type: (when, service, actions).
VIA_SERVICE_KMS = {
    "AWS::DynamoDB::Table": (lambda p: nested("SSESpecification.SSEEnabled")(p) and not dynamodb_customer_key(p),
                             "dynamodb", ["kms:DescribeKey", "kms:CreateGrant"]),
}


def _matches(action, patterns):
    service = action.split(":")[0]
    return any(p == action or p == f"{service}:*" for p in patterns)


def schema_permissions(rtype, region):
    providers = json.loads((SCHEMAS / "providers" / f"{region}.json").read_text())
    if rtype not in providers:
        raise KeyError(f"{rtype}: no registry schema in cfn-lint for {region}")
    schema = json.loads((SCHEMAS / "resources" / f"{providers[rtype]}.json").read_text())
    handlers = schema.get("handlers", {})
    return {op: handlers.get(op, {}).get("permissions", []) for op in ("create", "update", "delete")}


def narrowed(rtype, actions, props, tagged):
    """(kept actions, [(dropped action, why)])."""
    kept, dropped = [], []
    for raw in actions:
        action = TRANSLATE.get(raw, raw)
        name = action.split(":", 1)[1]
        why = None
        if name in TAG_ACTIONS and not tagged:
            why = "tagging calls only for a resource with tags"
        for ntype, patterns, needed, reason in NARROWINGS:
            if ntype == rtype and _matches(raw, patterns) and not needed(props):
                why = reason
                break
        if why:
            dropped.append((raw, why))
        elif action not in kept:
            kept.append(action)
    return kept, dropped
