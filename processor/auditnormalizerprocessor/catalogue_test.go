package auditnormalizerprocessor

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

func TestCatalogueBuiltin(t *testing.T) {
	c := newCatalogue(nil)
	tests := []struct {
		name, category, summary, failure string
	}{
		{"user.session.start", audit.CategoryAuthentication, audit.SummaryLogin, audit.SummaryLoginFailed},
		{"ConsoleLogin", audit.CategoryAuthentication, audit.SummaryLogin, audit.SummaryLoginFailed},
		{"LOGIN", audit.CategoryAuthentication, audit.SummaryLogin, audit.SummaryLoginFailed},
		{"user.login", audit.CategoryAuthentication, audit.SummaryLogin, audit.SummaryLoginFailed},
		{"login", audit.CategoryAuthentication, audit.SummaryLogin, audit.SummaryLoginFailed},
		{"Sign-in activity", audit.CategoryAuthentication, audit.SummaryLogin, audit.SummaryLoginFailed},
		{"google.login.LoginService.loginFailure", audit.CategoryAuthentication, audit.SummaryLoginFailed, ""},
		{"LOGIN_ERROR", audit.CategoryAuthentication, audit.SummaryLoginFailed, ""},
		{"user.failed_login", audit.CategoryAuthentication, audit.SummaryLoginFailed, ""},
		{"course.enrolled", audit.CategoryCourses, "Course enrolled", "Course enrolment failed"},
		{"course.completed", audit.CategoryCourses, "Course completed", "Course completion failed"},
		{"module.completed", audit.CategoryCourses, "Module completed", "Module completion failed"},
		{"team.member_added", audit.CategoryTeams, "Team member added", "Team member addition failed"},
		{"team.leader_changed", audit.CategoryTeams, "Team leader changed", "Team leader change failed"},
		{"user.password_changed", audit.CategoryAuthentication, "Password changed", "Password change failed"},
		{"settings.updated", audit.CategorySettings, "Settings changed", "Settings change failed"},
		// Groups and exports of the learning-platform catalogue map into the built-in set.
		{"export.requested", audit.CategoryContent, "Export requested", "Export request failed"},
		{"report.downloaded", audit.CategoryContent, "Report downloaded", "Report download failed"},
		{"rolebindings.create", audit.CategoryAccessControl, "Role granted", "Role grant failed"},
		{"REALM_ROLE_MAPPING.DELETE", audit.CategoryAccessControl, "Role revoked", "Role revocation failed"},
		{"GROUP_MEMBERSHIP.CREATE", audit.CategoryAccessControl, "Group member added", "Group member addition failed"},
		{"pods/exec.create", audit.CategoryInfrastructure, "Pod exec", "Pod exec failed"},
		{"serviceaccounts/token.create", audit.CategoryAccessControl, "Token issued", "Token issue failed"},
		{"user.account.lock", audit.CategoryAuthentication, "User locked", "User lock failed"},
		{"group.user_membership.add", audit.CategoryAccessControl, "Group member added", "Group member addition failed"},
		{"application.user_membership.add", audit.CategoryAccessControl, "Application access granted", "Application access grant failed"},
		{"org.add_member", audit.CategoryUsers, "Member added", "Member addition failed"},
		{"repo.create", audit.CategoryContent, "Repository created", "Repository creation failed"},
		{"git.clone", audit.CategoryContent, "Repository cloned", "Repository clone failed"},
		{"CreateUser", audit.CategoryUsers, "User created", "User creation failed"},
		{"CreateLoginProfile", audit.CategoryUsers, "Console password set", "Console password change failed"},
		{"AttachRolePolicy", audit.CategoryAccessControl, "Permission granted", "Permission grant failed"},
		{"AssumeRole", audit.CategoryAccessControl, "Role assumed", "Role assumption failed"},
		{"AddUserToGroup", audit.CategoryAccessControl, "Group member added", "Group member addition failed"},
		{"PutEventSelectors", audit.CategorySettings, "Audit trail changed", "Audit trail change failed"},
		{"StopLogging", audit.CategorySettings, "Audit logging stopped", "Audit logging stop failed"},
		{"system.org.rate_limit.violation", audit.CategorySettings, "Rate limit exceeded", "Rate limit exceeded"},
		{"SetIamPolicy", audit.CategoryAccessControl, "IAM policy changed", "IAM policy change failed"},
		{"MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE", audit.CategoryAccessControl, "Role granted", "Role grant failed"},
		{"Microsoft.Authorization/roleAssignments/write", audit.CategoryAccessControl, "Role granted", "Role grant failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := c.lookup(tt.name)
			assert.Equal(t, tt.category, k.category)
			assert.Equal(t, tt.summary, k.summary)
			assert.Equal(t, tt.failure, k.failureSummary)
		})
	}
}

// TestCatalogueDerived: names the catalogue does not know yield a summary and the source's
// grouping, never a category; families it knows yield a weak category a profile may override.
func TestCatalogueDerived(t *testing.T) {
	c := newCatalogue(nil)
	tests := []struct {
		name, category, source, summary string
		weak                            bool
	}{
		{"repo.add_topic", audit.CategoryContent, "Repo", "Topic added", true},
		{"repo.create_actions_secret", audit.CategorySecrets, "Repo", "Actions secret created", true},
		{"org.add_member", audit.CategoryUsers, "Org", "Member added", false},
		{"org.update_terms_of_service", audit.CategorySettings, "Org", "Terms of service updated", true},
		{"business.set_actions_retention_limit", audit.CategorySettings, "Business", "Actions retention limit set", true},
		{"audit_log_streaming.update", audit.CategorySettings, "Audit log streaming", "Audit log streaming changed", false},
		{"personal_access_token.request_denied", audit.CategoryAccessControl, "Personal access token", "Request denied", true},
		{"user.session.refresh", audit.CategoryAuthentication, "User", "Session refresh", true},
		{"protected_branch.policy_override", audit.CategorySettings, "Protected branch", "Policy override", true},
		{"c1.x", "", "C1", "X", false},
		{"USER_PROFILE.UPDATE", "", "User profile", "User profile updated", false},
		{"CreateBucket", "", "", "Bucket created", false},
		{"EnableMFADevice", audit.CategoryAuthentication, "", "MFA enrolled", false},
		{"PutMFADeviceTag", "", "", "Mfa device tag set", false},
		{"GetSecretValue", audit.CategorySecrets, "", "Secret read", false},
		{"deployments.patch", "", "Deployments", "Deployment patched", false},
		{"configmaps.update", "", "Configmaps", "Configmap updated", false},
		{"ingresses.delete", "", "Ingresses", "Ingress deleted", false},
		{"networkpolicies.create", "", "Networkpolicies", "Networkpolicy created", false},
		{"pods/log.get", "", "Pods", "Pods log read", false},
		{"course.archived", audit.CategoryCourses, "Course", "Course archived", true},
		{"certificate.issued", "", "Certificate", "Certificate issued", false},
		{"audit_log.export_requested", audit.CategoryAuditLog, "Audit log", "Export requested", true},
		{"v1.compute.instances.insert", "", "V1", "Instance created", false},
		{"google.iam.admin.v1.CreateServiceAccountKey", audit.CategoryAuthentication, "Google", "Access key created", false},
		{"google.cloud.sql.v1.SqlInstancesService.Delete", "", "Google", "Sql instance deleted", false},
		{"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE", "", "Compute", "Virtualmachine changed", false},
		{"Microsoft.Compute/virtualMachines/restart/action", "", "Compute", "Virtual machine restart", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := c.lookup(tt.name)
			assert.Equal(t, tt.category, k.category)
			assert.Equal(t, tt.source, k.source)
			assert.Equal(t, tt.summary, k.summary)
			assert.Equal(t, tt.weak, k.weak)
			// A second lookup is served from the cache with the same answer.
			assert.Equal(t, k, c.lookup(tt.name))
		})
	}
}

// TestCatalogueCategoriesAreBuiltin: every category the built-in catalogue can give is in
// the built-in set.
func TestCatalogueCategoriesAreBuiltin(t *testing.T) {
	for name, k := range builtinCatalogue {
		assert.True(t, audit.IsBuiltinCategory(k.category), "%s: %q", name, k.category)
	}
	for _, p := range builtinPrefixes {
		assert.True(t, audit.IsBuiltinCategory(p.kind.category), "%s: %q", p.prefix, p.kind.category)
	}
	for _, a := range azureKinds {
		assert.True(t, audit.IsBuiltinCategory(a.kind.category), "%s: %q", a.name, a.kind.category)
	}
	for _, c := range []string{
		kubernetesCategory("configmaps", ""), kubernetesCategory("rolebindings", ""), kubernetesCategory("serviceaccounts", "token"),
		kubernetesCategory("secrets", ""), kubernetesCategory("widgets", ""),
		cloudTrailCategory("s3", "CreateBucket"), cloudTrailCategory("iam", "TagUser"), cloudTrailCategory("sts", "GetCallerIdentity"),
		cloudTrailCategory("kms", "Decrypt"), cloudTrailCategory("cloudtrail", "LookupEvents"),
		gcpCategory("compute", "v1.compute.instances.insert"), gcpCategory("storage", "storage.setIamPermissions"),
		azureCategory("Microsoft.Compute/virtualMachines/write", "Administrative"), azureCategory("Microsoft.KeyVault/vaults/write", ""),
	} {
		assert.True(t, audit.IsBuiltinCategory(c), c)
	}
}

func TestFailedSummary(t *testing.T) {
	for in, want := range map[string]string{
		"Permission granted":  "Permission grant failed",
		"User created":        "User creation failed",
		"Secret read":         "Secret read failed",
		"Role revoked":        "Role revocation failed",
		"Logout":              "Logout failed",
		"Pod exec":            "Pod exec failed",
		"Rate limit exceeded": "Rate limit exceeded",
		"Export failed":       "Export failed",
		"":                    "",
	} {
		assert.Equal(t, want, failedSummary(in), in)
	}
}

func TestCatalogueErrorTypes(t *testing.T) {
	c := newCatalogue(nil)
	k := c.lookup("UPDATE_PASSWORD_ERROR")
	assert.Equal(t, "Password change failed", k.summary)
	assert.Equal(t, audit.OutcomeFailure, k.outcome)
	k = c.lookup("REGISTER_ERROR")
	assert.Equal(t, "Registration failed", k.summary)
	assert.Equal(t, audit.OutcomeFailure, k.outcome)
	k = c.lookup("LOGOUT_ERROR")
	assert.Equal(t, "Logout failed", k.summary)
	k = c.lookup("LOGIN_ERROR_ERROR")
	assert.Equal(t, audit.SummaryLoginFailed, k.summary, "a base that is a failure already keeps its summary")
	k = c.lookup("USER_INFO_REQUEST_ERROR")
	assert.Equal(t, "User info request failed", k.summary, "unknown error types are derived from their base")
	assert.Equal(t, audit.OutcomeFailure, k.outcome)
}

func TestCatalogueUserEntries(t *testing.T) {
	c := newCatalogue([]CatalogueEntry{
		{Name: "course.completed", Category: "Learning", Summary: "Finished a course"},
		{Prefix: "billing.", Category: "Billing"},
		{Prefix: "billing.invoice.", Category: "Invoices"},
		{Prefix: "user.session.", Category: "Sessions"},
		{Glob: "team.*_changed", Category: "Teams", Summary: "Team changed", FailureSummary: "Team change failed"},
		{Glob: "lms.??.export", Category: "Exports", Outcome: audit.OutcomeSuccess},
	})
	// Exact user entries override the built-in catalogue.
	assert.Equal(t, eventKind{category: "Learning", summary: "Finished a course", failureSummary: "Finished a course failed", source: "Course"}, c.lookup("course.completed"))
	// Longest prefix wins; the summary is derived from the name.
	assert.Equal(t, eventKind{category: "Invoices", summary: "Invoice paid", failureSummary: "Invoice paid failed", source: "Billing"}, c.lookup("billing.invoice.paid"))
	assert.Equal(t, eventKind{category: "Billing", summary: "Plan changed", failureSummary: "Plan change failed", source: "Billing"}, c.lookup("billing.plan_changed"))
	// A user prefix overrides built-in names under it.
	assert.Equal(t, "Sessions", c.lookup("user.session.start").category)
	// Globs: * spans dots, ? is one character.
	assert.Equal(t, eventKind{category: "Teams", summary: "Team changed", failureSummary: "Team change failed", source: "Team"}, c.lookup("team.leader_changed"))
	assert.Equal(t, "Exports", c.lookup("lms.eu.export").category)
	// A name no rule matches has no category of its own; its prefix is the source.
	assert.Empty(t, c.lookup("lms.eur.export").category)
	assert.Equal(t, "Lms", c.lookup("lms.eur.export").source)
}

func TestCatalogueCacheBounded(t *testing.T) {
	c := newCatalogue(nil)
	for i := 0; i < maxCachedNames+100; i++ {
		c.lookup("custom.event_" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26))
	}
	assert.LessOrEqual(t, c.cached.Load(), int64(maxCachedNames))
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "", true},
		{"*", "anything.at/all", true},
		{"team.*", "team.member_added", true},
		{"team.*", "teams.x", false},
		{"*.completed", "course.module.completed", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, globMatch(tt.pattern, tt.name), "%q ~ %q", tt.pattern, tt.name)
	}
}

func TestHumanize(t *testing.T) {
	tests := map[string]string{
		"add_member":         "Add member",
		"session.start":      "Session start",
		"AttachUserPolicy":   "Attach user policy",
		"REALM_ROLE_MAPPING": "Realm role mapping",
		"MFADevice":          "Mfa device",
		"pods/exec":          "Pods exec",
		"__":                 "",
		"x":                  "X",
	}
	for in, want := range tests {
		assert.Equal(t, want, humanize(in), in)
	}
}

func TestCleanString(t *testing.T) {
	assert.Equal(t, "alice@example.com", cleanString("alice@example.com", 64))
	// Each control, bidi or invisible character, and each invalid byte, becomes U+FFFD: never
	// deleted, so that tokens stay apart and tampering shows.
	assert.Equal(t, "alice\ufffdmoc.evil", cleanString("alice\u202emoc.evil", 64))
	assert.Equal(t, "a\ufffd\ufffd\ufffdb\ufffd", cleanString("a\x00\x1b\u2066b\u200b", 64))
	assert.Equal(t, "alice\ufffd2026-11-25 INFO user=admin", cleanString("alice\n2026-11-25 INFO user=admin", 64))
	assert.Equal(t, "o\ufffdk", cleanString("o\xffk", 64))
	assert.Equal(t, "Zoë", cleanString("Zoë", 64))
	assert.Equal(t, "abc", cleanString("abcdef", 3))
	// Cut on a rune boundary, never inside a multi-byte character.
	assert.Equal(t, "é", cleanString("éé", 3))
	assert.Equal(t, "a", cleanString("a\n", 3), "a replacement that does not fit is cut")
}
