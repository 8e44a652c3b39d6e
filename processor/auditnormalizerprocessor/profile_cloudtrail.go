package auditnormalizerprocessor

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// cloudTrailProfile maps an AWS CloudTrail record, also inside an EventBridge event's detail.
type cloudTrailProfile struct{}

func isCloudTrailRecord(m pcommon.Map) bool {
	return has(m, "eventName") && (has(m, "eventSource") || has(m, "eventVersion"))
}

func (cloudTrailProfile) detect(m pcommon.Map) bool {
	if isCloudTrailRecord(m) {
		return true
	}
	d, ok := sub(m, "detail")
	return ok && has(m, "detail-type") && isCloudTrailRecord(d)
}

// maskedUserName is what CloudTrail writes for the user name of some failed console logins.
const maskedUserName = "HIDDEN_DUE_TO_SECURITY_REASONS"

// cloudTrailTargets are requestParameters keys that name the object acted upon, with what
// they name, most specific first.
var cloudTrailTargets = [][2]string{
	{"userName", "user"}, {"roleName", "role"}, {"groupName", "group"}, {"bucketName", "bucket"},
	{"secretId", "secret"}, {"keyId", "key"}, {"trailName", "trail"}, {"instanceId", "instance"},
	{"roleArn", "role"}, {"functionName", "function"}, {"keyName", "key pair"},
	{"policyArn", "policy"}, {"key", "object"}, {"name", ""},
}

func (cloudTrailProfile) extract(m pcommon.Map, _ plog.LogRecord, ev *event) {
	if d, ok := sub(m, "detail"); ok && !isCloudTrailRecord(m) {
		m = d
	}
	ev.name = str(m, "eventName")
	service, _, _ := strings.Cut(str(m, "eventSource"), ".")
	ev.categorySource = awsServiceName(service)
	ev.categoryHint = cloudTrailCategory(service, ev.name)
	if id, ok := sub(m, "userIdentity"); ok {
		ev.author, ev.authorID = cloudTrailAuthor(id)
		ev.tenant = str(id, "accountId")
	}
	if acct := str(m, "recipientAccountId"); acct != "" {
		ev.tenant = acct
	}
	if code := str(m, "errorCode"); code != "" {
		ev.outcome = audit.OutcomeFailure
		ev.failReason = code
	} else if r, ok := m.Get("responseElements"); ok && r.Type() == pcommon.ValueTypeMap && has(r.Map(), "ConsoleLogin") {
		v, _ := r.Map().Get("ConsoleLogin")
		ev.setOutcome(v)
	} else {
		// CloudTrail states errorCode only for failed calls.
		ev.outcome = audit.OutcomeSuccess
	}
	if ev.name == "ConsoleLogin" && ev.outcome != audit.OutcomeSuccess {
		if msg := str(m, "errorMessage"); msg != "" {
			ev.failReason = msg
		}
	}
	ev.clientAddr = ipOnly(str(m, "sourceIPAddress"))
	ev.userAgent = str(m, "userAgent")
	if rp, ok := sub(m, "requestParameters"); ok {
		cloudTrailTarget(rp, ev)
	}
	if ev.name == "RunInstances" {
		// The instance exists only in the response; the request names its key pair.
		ev.target, ev.targetKind, ev.object, ev.objectKind = "", "", "", ""
		if kp := subStr(m, "requestParameters", "keyName"); kp != "" {
			ev.object, ev.objectKind = kp, "key pair"
		}
		if re, ok := sub(m, "responseElements"); ok {
			if set, ok := sub(re, "instancesSet"); ok {
				if item, ok := firstItem(set, "items"); ok {
					ev.target, ev.targetKind = str(item, "instanceId"), "instance"
				}
			}
		}
	}
	if ev.target == "" {
		if r, ok := firstItem(m, "resources"); ok {
			ev.target = str(r, "ARN")
		}
	}
	ev.eventID = str(m, "eventID")
	ev.addTime(m, "eventTime")
}

// cloudTrailTarget reads the target and the significant object from the request: the policy
// attached to a role, the group a user joins, the key pair of an instance.
func cloudTrailTarget(rp pcommon.Map, ev *event) {
	target := -1
	for i, t := range cloudTrailTargets {
		if v := str(rp, t[0]); v != "" {
			ev.target, ev.targetKind, target = v, t[1], i
			break
		}
	}
	if target < 0 {
		return
	}
	for _, t := range cloudTrailTargets[target+1:] {
		if t[1] == "" || t[1] == ev.targetKind {
			continue
		}
		v := str(rp, t[0])
		if v == "" {
			continue
		}
		if t[1] == "policy" {
			// arn:aws:iam::aws:policy/AdministratorAccess names AdministratorAccess.
			v = v[strings.LastIndexByte(v, '/')+1:]
		}
		ev.object, ev.objectKind = v, t[1]
		break
	}
	if ev.object == "" {
		if policy := str(rp, "policyName"); policy != "" {
			ev.object, ev.objectKind = policy, "policy"
		}
	}
}

// awsServices spells the common services' names without allocating.
var awsServices = map[string]string{
	"iam": "IAM", "sts": "STS", "s3": "S3", "ec2": "EC2", "kms": "KMS", "rds": "RDS",
	"signin": "Signin", "cloudtrail": "CloudTrail", "secretsmanager": "Secrets Manager",
	"lambda": "Lambda", "organizations": "Organizations", "ssm": "SSM", "sso": "SSO",
	"logs": "CloudWatch Logs", "monitoring": "CloudWatch", "eks": "EKS", "ecs": "ECS",
	"dynamodb": "DynamoDB", "sns": "SNS", "sqs": "SQS", "config": "Config",
	"guardduty": "GuardDuty", "route53": "Route 53", "elasticloadbalancing": "ELB",
}

// awsServiceName names the service of eventSource ("s3" of s3.amazonaws.com) for
// audit.category.source.
func awsServiceName(service string) string {
	if service == "" {
		return ""
	}
	if n, ok := awsServices[service]; ok {
		return n
	}
	if len(service) <= 3 {
		return strings.ToUpper(service)
	}
	return humanize(service)
}

// cloudTrailCategory maps a call the catalogue does not name to the built-in set, by service
// and, for IAM, by what the call is about: users and their login profiles are Users; access
// keys, MFA devices and passwords Authentication; policies, groups and roles Access control.
// Console sign-in is Authentication, trail changes Settings, KMS and Secrets Manager Secrets,
// and every other service (S3, EC2, …) Infrastructure.
func cloudTrailCategory(service, name string) string {
	switch service {
	case "signin":
		return audit.CategoryAuthentication
	case "sts":
		if strings.HasPrefix(name, "AssumeRole") {
			return audit.CategoryAccessControl
		}
		return audit.CategoryAuthentication
	case "iam":
		switch {
		case strings.Contains(name, "Policy"), strings.Contains(name, "Group"), strings.Contains(name, "Role"),
			strings.Contains(name, "InstanceProfile"), strings.Contains(name, "PermissionsBoundary"):
			return audit.CategoryAccessControl
		case strings.Contains(name, "AccessKey"), strings.Contains(name, "MFADevice"),
			strings.Contains(name, "Password"), strings.Contains(name, "SSHPublicKey"),
			strings.Contains(name, "ServiceSpecificCredential"), strings.Contains(name, "SigningCertificate"):
			return audit.CategoryAuthentication
		case strings.Contains(name, "User"), strings.Contains(name, "LoginProfile"):
			return audit.CategoryUsers
		}
		return audit.CategoryAccessControl
	case "sso", "identitystore":
		return audit.CategoryAccessControl
	case "cloudtrail":
		return audit.CategorySettings
	case "kms", "secretsmanager":
		return audit.CategorySecrets
	case "":
		return ""
	}
	return audit.CategoryInfrastructure
}

// cloudTrailAuthor names the principal by identity type: root as "root", an assumed role as
// "<role>/<session>", an AWS service by its host name; a masked user name is no author.
func cloudTrailAuthor(id pcommon.Map) (author, authorID string) {
	arn := str(id, "arn")
	authorID = arn
	if authorID == "" {
		authorID = str(id, "principalId")
	}
	switch str(id, "type") {
	case "Root":
		return "root", authorID
	case "AssumedRole", "FederatedUser":
		if _, rest, ok := strings.Cut(arn, ":assumed-role/"); ok {
			return rest, authorID
		}
		if _, rest, ok := strings.Cut(arn, ":federated-user/"); ok {
			return rest, authorID
		}
		if ctx, ok := sub(id, "sessionContext"); ok {
			if issuer := subStr(ctx, "sessionIssuer", "userName"); issuer != "" {
				return issuer, authorID
			}
		}
	case "AWSService":
		// The platform acting on its own; the service is named in authorID.
		if authorID == "" {
			authorID = str(id, "invokedBy")
		}
		return audit.AuthorSystem, authorID
	}
	if name := str(id, "userName"); name != "" && name != maskedUserName {
		return name, authorID
	}
	if str(id, "userName") == maskedUserName {
		return "", ""
	}
	return "", authorID
}
