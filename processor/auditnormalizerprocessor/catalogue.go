package auditnormalizerprocessor

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// Categories of the built-in catalogue: the built-in set of internal/audit. Names the
// catalogue does not know never become categories; see classify.
const (
	categoryAuthentication = audit.CategoryAuthentication
	categoryUsers          = audit.CategoryUsers
	categoryAccessControl  = audit.CategoryAccessControl
	categoryTeams          = audit.CategoryTeams
	categorySettings       = audit.CategorySettings
	categoryContent        = audit.CategoryContent
	categoryCourses        = audit.CategoryCourses
	categorySecrets        = audit.CategorySecrets
	categoryInfrastructure = audit.CategoryInfrastructure
	categoryAuditLog       = audit.CategoryAuditLog
)

// eventKind is what the catalogue says about one event name. An empty category means the
// catalogue does not know the name: the profile's category or the fallback category applies.
type eventKind struct {
	category       string
	summary        string
	failureSummary string
	outcome        string
	// source is the grouping derived from the name ("repo.create" -> "Repo"), kept in
	// audit.category.source when the profile states none.
	source string
	// weak is set when category comes from a built-in family rule (a prefix): a profile
	// that knows the event's category better overrides it.
	weak bool
}

func login() eventKind {
	return eventKind{category: categoryAuthentication, summary: audit.SummaryLogin, failureSummary: audit.SummaryLoginFailed}
}

func loginFailed() eventKind {
	return eventKind{category: categoryAuthentication, summary: audit.SummaryLoginFailed, outcome: audit.OutcomeFailure}
}

func kind(category, summary string) eventKind {
	return eventKind{category: category, summary: summary}
}

// builtinCatalogue maps the event names of every built-in profile. Kubernetes names are
// "<resource>[/<subresource>].<verb>", Keycloak admin events "<resourceType>.<operationType>".
var builtinCatalogue = map[string]eventKind{
	// OpenTelemetry semantic conventions and learning-platform events.
	"login":                         login(),
	"user.login":                    login(),
	"user.logged_in":                login(),
	"session.start":                 login(),
	"login.failed":                  loginFailed(),
	"user.login_failed":             loginFailed(),
	"user.login.failed":             loginFailed(),
	"logout":                        kind(categoryAuthentication, "Logout"),
	"user.logout":                   kind(categoryAuthentication, "Logout"),
	"user.logged_out":               kind(categoryAuthentication, "Logout"),
	"session.end":                   kind(categoryAuthentication, "Logout"),
	"user.mfa_enabled":              kind(categoryAuthentication, "MFA enrolled"),
	"user.mfa.enrolled":             kind(categoryAuthentication, "MFA enrolled"),
	"user.mfa_disabled":             kind(categoryAuthentication, "MFA removed"),
	"user.mfa.removed":              kind(categoryAuthentication, "MFA removed"),
	"user.mfa_verified":             {category: categoryAuthentication, summary: "MFA verified", failureSummary: "MFA failed"},
	"user.mfa.challenge":            {category: categoryAuthentication, summary: "MFA verified", failureSummary: "MFA failed"},
	"user.password_changed":         kind(categoryAuthentication, "Password changed"),
	"user.password.changed":         kind(categoryAuthentication, "Password changed"),
	"user.password_reset":           kind(categoryAuthentication, "Password reset"),
	"user.password.reset":           kind(categoryAuthentication, "Password reset"),
	"user.password_reset_requested": kind(categoryAuthentication, "Password reset requested"),
	"user.created":                  kind(categoryUsers, "User created"),
	"user.deleted":                  kind(categoryUsers, "User deleted"),
	"user.suspended":                kind(categoryUsers, "User suspended"),
	"user.unsuspended":              kind(categoryUsers, "User unsuspended"),
	"user.updated":                  kind(categoryUsers, "User updated"),
	"user.profile_updated":          kind(categoryUsers, "Profile updated"),
	"user.invited":                  kind(categoryUsers, "User invited"),
	"user.role_granted":             kind(categoryAccessControl, "Role granted"),
	"user.role_revoked":             kind(categoryAccessControl, "Role revoked"),
	"role.granted":                  kind(categoryAccessControl, "Role granted"),
	"role.revoked":                  kind(categoryAccessControl, "Role revoked"),
	"role.assigned":                 kind(categoryAccessControl, "Role granted"),
	"role.unassigned":               kind(categoryAccessControl, "Role revoked"),
	"permission.granted":            kind(categoryAccessControl, "Permission granted"),
	"permission.revoked":            kind(categoryAccessControl, "Permission revoked"),
	"settings.updated":              kind(categorySettings, "Settings changed"),
	"settings.changed":              kind(categorySettings, "Settings changed"),
	"content.created":               kind(categoryContent, "Content created"),
	"content.updated":               kind(categoryContent, "Content updated"),
	"content.deleted":               kind(categoryContent, "Content deleted"),
	"content.published":             kind(categoryContent, "Content published"),
	"course.created":                kind(categoryCourses, "Course created"),
	"course.updated":                kind(categoryCourses, "Course updated"),
	"course.deleted":                kind(categoryCourses, "Course deleted"),
	"course.published":              kind(categoryCourses, "Course published"),
	"course.enrolled":               kind(categoryCourses, "Course enrolled"),
	"course.unenrolled":             kind(categoryCourses, "Course unenrolled"),
	"course.completed":              kind(categoryCourses, "Course completed"),
	"module.completed":              kind(categoryCourses, "Module completed"),
	"lesson.completed":              kind(categoryCourses, "Lesson completed"),
	"team.created":                  kind(categoryTeams, "Team created"),
	"team.deleted":                  kind(categoryTeams, "Team deleted"),
	"team.renamed":                  kind(categoryTeams, "Team renamed"),
	"team.member_added":             kind(categoryTeams, "Team member added"),
	"team.member_removed":           kind(categoryTeams, "Team member removed"),
	"team.leader_changed":           kind(categoryTeams, "Team leader changed"),
	"export.requested":              kind(categoryContent, "Export requested"),
	"export.completed":              kind(categoryContent, "Export completed"),
	"export.downloaded":             kind(categoryContent, "Export downloaded"),
	"report.downloaded":             kind(categoryContent, "Report downloaded"),
	"file.downloaded":               kind(categoryContent, "File downloaded"),

	// Okta System Log event types.
	"user.session.start":                 login(),
	"user.authentication.sso":            login(),
	"user.authentication.authenticate":   login(),
	"user.session.end":                   kind(categoryAuthentication, "Logout"),
	"user.authentication.auth_via_mfa":   {category: categoryAuthentication, summary: "MFA verified", failureSummary: "MFA failed"},
	"user.authentication.verify":         {category: categoryAuthentication, summary: "Identity verified", failureSummary: "Identity verification failed"},
	"user.mfa.factor.activate":           kind(categoryAuthentication, "MFA enrolled"),
	"user.mfa.factor.deactivate":         kind(categoryAuthentication, "MFA removed"),
	"user.mfa.factor.reset_all":          kind(categoryAuthentication, "MFA reset"),
	"user.account.update_password":       kind(categoryAuthentication, "Password changed"),
	"user.account.reset_password":        kind(categoryAuthentication, "Password reset"),
	"user.account.lock":                  kind(categoryAuthentication, "User locked"),
	"user.account.unlock":                kind(categoryAuthentication, "User unlocked"),
	"user.account.update_profile":        kind(categoryUsers, "Profile updated"),
	"user.lifecycle.create":              kind(categoryUsers, "User created"),
	"user.lifecycle.activate":            kind(categoryUsers, "User activated"),
	"user.lifecycle.deactivate":          kind(categoryUsers, "User deactivated"),
	"user.lifecycle.suspend":             kind(categoryUsers, "User suspended"),
	"user.lifecycle.unsuspend":           kind(categoryUsers, "User unsuspended"),
	"user.lifecycle.delete.initiated":    kind(categoryUsers, "User deleted"),
	"user.account.privilege.grant":       kind(categoryAccessControl, "Role granted"),
	"user.account.privilege.revoke":      kind(categoryAccessControl, "Role revoked"),
	"group.user_membership.add":          kind(categoryAccessControl, "Group member added"),
	"group.user_membership.remove":       kind(categoryAccessControl, "Group member removed"),
	"group.privilege.grant":              kind(categoryAccessControl, "Role granted"),
	"group.privilege.revoke":             kind(categoryAccessControl, "Role revoked"),
	"application.user_membership.add":    kind(categoryAccessControl, "Application access granted"),
	"application.user_membership.remove": kind(categoryAccessControl, "Application access revoked"),
	"policy.lifecycle.update":            kind(categorySettings, "Policy updated"),
	"policy.rule.update":                 kind(categorySettings, "Policy updated"),
	"system.org.rate_limit.violation":    kind(categorySettings, "Rate limit exceeded"),

	// GitHub audit log actions. repo.* and most others read well when derived from the name.
	"org.add_member":                           kind(categoryUsers, "Member added"),
	"org.remove_member":                        kind(categoryUsers, "Member removed"),
	"org.invite_member":                        kind(categoryUsers, "Member invited"),
	"org.update_member":                        kind(categoryAccessControl, "Member role changed"),
	"org.update_default_repository_permission": kind(categorySettings, "Settings changed"),
	"org.update_actions_settings":              kind(categorySettings, "Settings changed"),
	"team.add_member":                          kind(categoryTeams, "Team member added"),
	"team.remove_member":                       kind(categoryTeams, "Team member removed"),
	"team.create":                              kind(categoryTeams, "Team created"),
	"team.destroy":                             kind(categoryTeams, "Team deleted"),
	"team.promote_maintainer":                  kind(categoryTeams, "Team leader changed"),
	"team.demote_maintainer":                   kind(categoryTeams, "Team leader changed"),
	"user.failed_login":                        loginFailed(),
	"two_factor_authentication.enabled":        kind(categoryAuthentication, "MFA enrolled"),
	"two_factor_authentication.disabled":       kind(categoryAuthentication, "MFA removed"),
	"org.disable_two_factor_requirement":       kind(categorySettings, "MFA requirement disabled"),
	"org.enable_two_factor_requirement":        kind(categorySettings, "MFA requirement enabled"),
	"repo.download_zip":                        kind(categoryContent, "Archive downloaded"),
	"migration.create":                         kind(categoryContent, "Export requested"),
	"personal_access_token.request_created":    kind(categoryAccessControl, "Access token requested"),
	// GitHub webhook deliveries: X-GitHub-Event "." action.
	"member.added":                kind(categoryAccessControl, "Repository access granted"),
	"member.removed":              kind(categoryAccessControl, "Repository access revoked"),
	"member.edited":               kind(categoryAccessControl, "Repository access changed"),
	"organization.member_added":   kind(categoryUsers, "Member added"),
	"organization.member_removed": kind(categoryUsers, "Member removed"),
	"organization.member_invited": kind(categoryUsers, "Member invited"),
	"membership.added":            kind(categoryTeams, "Team member added"),
	"membership.removed":          kind(categoryTeams, "Team member removed"),
	"repository.created":          kind(categoryContent, "Repository created"),
	"repository.deleted":          kind(categoryContent, "Repository deleted"),
	"repository.publicized":       kind(categorySettings, "Repository made public"),
	"repository.privatized":       kind(categorySettings, "Repository made private"),

	// AWS CloudTrail event names.
	"ConsoleLogin":                  login(),
	"CheckMfa":                      {category: categoryAuthentication, summary: "MFA verified", failureSummary: "MFA failed"},
	"SwitchRole":                    kind(categoryAccessControl, "Role assumed"),
	"AssumeRole":                    kind(categoryAccessControl, "Role assumed"),
	"AssumeRoleWithSAML":            kind(categoryAccessControl, "Role assumed"),
	"AssumeRoleWithWebIdentity":     kind(categoryAccessControl, "Role assumed"),
	"GetSessionToken":               kind(categoryAuthentication, "Session token issued"),
	"ChangePassword":                kind(categoryAuthentication, "Password changed"),
	"UpdateLoginProfile":            kind(categoryUsers, "Console password changed"),
	"CreateLoginProfile":            kind(categoryUsers, "Console password set"),
	"DeleteLoginProfile":            kind(categoryUsers, "Console password removed"),
	"EnableMFADevice":               kind(categoryAuthentication, "MFA enrolled"),
	"DeactivateMFADevice":           kind(categoryAuthentication, "MFA removed"),
	"CreateAccessKey":               kind(categoryAuthentication, "Access key created"),
	"DeleteAccessKey":               kind(categoryAuthentication, "Access key deleted"),
	"UpdateAccessKey":               kind(categoryAuthentication, "Access key updated"),
	"CreateUser":                    kind(categoryUsers, "User created"),
	"DeleteUser":                    kind(categoryUsers, "User deleted"),
	"UpdateUser":                    kind(categoryUsers, "User updated"),
	"AddUserToGroup":                kind(categoryAccessControl, "Group member added"),
	"RemoveUserFromGroup":           kind(categoryAccessControl, "Group member removed"),
	"AttachUserPolicy":              kind(categoryAccessControl, "Permission granted"),
	"AttachRolePolicy":              kind(categoryAccessControl, "Permission granted"),
	"AttachGroupPolicy":             kind(categoryAccessControl, "Permission granted"),
	"PutUserPolicy":                 kind(categoryAccessControl, "Permission granted"),
	"PutRolePolicy":                 kind(categoryAccessControl, "Permission granted"),
	"PutGroupPolicy":                kind(categoryAccessControl, "Permission granted"),
	"DetachUserPolicy":              kind(categoryAccessControl, "Permission revoked"),
	"DetachRolePolicy":              kind(categoryAccessControl, "Permission revoked"),
	"DetachGroupPolicy":             kind(categoryAccessControl, "Permission revoked"),
	"DeleteUserPolicy":              kind(categoryAccessControl, "Permission revoked"),
	"DeleteRolePolicy":              kind(categoryAccessControl, "Permission revoked"),
	"DeleteGroupPolicy":             kind(categoryAccessControl, "Permission revoked"),
	"CreateRole":                    kind(categoryAccessControl, "Role created"),
	"DeleteRole":                    kind(categoryAccessControl, "Role deleted"),
	"UpdateAssumeRolePolicy":        kind(categoryAccessControl, "Role trust changed"),
	"StopLogging":                   kind(categorySettings, "Audit logging stopped"),
	"StartLogging":                  kind(categorySettings, "Audit logging started"),
	"DeleteTrail":                   kind(categorySettings, "Audit trail deleted"),
	"UpdateTrail":                   kind(categorySettings, "Audit trail changed"),
	"PutBucketPolicy":               kind(categoryAccessControl, "Bucket policy changed"),
	"PutBucketAcl":                  kind(categoryAccessControl, "Bucket policy changed"),
	"PutBucketPublicAccessBlock":    kind(categoryAccessControl, "Bucket public access changed"),
	"AuthorizeSecurityGroupIngress": kind(categoryInfrastructure, "Firewall rule added"),
	"RevokeSecurityGroupIngress":    kind(categoryInfrastructure, "Firewall rule removed"),
	"GetSecretValue":                kind(categorySecrets, "Secret read"),

	// Kubernetes audit events.
	"rolebindings.create":                        kind(categoryAccessControl, "Role granted"),
	"rolebindings.delete":                        kind(categoryAccessControl, "Role revoked"),
	"rolebindings.update":                        kind(categoryAccessControl, "Role binding changed"),
	"rolebindings.patch":                         kind(categoryAccessControl, "Role binding changed"),
	"clusterrolebindings.create":                 kind(categoryAccessControl, "Role granted"),
	"clusterrolebindings.delete":                 kind(categoryAccessControl, "Role revoked"),
	"clusterrolebindings.update":                 kind(categoryAccessControl, "Role binding changed"),
	"clusterrolebindings.patch":                  kind(categoryAccessControl, "Role binding changed"),
	"roles.create":                               kind(categoryAccessControl, "Role created"),
	"roles.delete":                               kind(categoryAccessControl, "Role deleted"),
	"roles.update":                               kind(categoryAccessControl, "Role changed"),
	"roles.patch":                                kind(categoryAccessControl, "Role changed"),
	"clusterroles.create":                        kind(categoryAccessControl, "Role created"),
	"clusterroles.delete":                        kind(categoryAccessControl, "Role deleted"),
	"clusterroles.update":                        kind(categoryAccessControl, "Role changed"),
	"clusterroles.patch":                         kind(categoryAccessControl, "Role changed"),
	"secrets.get":                                kind(categorySecrets, "Secret read"),
	"secrets.list":                               kind(categorySecrets, "Secrets listed"),
	"secrets.watch":                              kind(categorySecrets, "Secrets watched"),
	"secrets.create":                             kind(categorySecrets, "Secret created"),
	"secrets.update":                             kind(categorySecrets, "Secret changed"),
	"secrets.patch":                              kind(categorySecrets, "Secret changed"),
	"secrets.delete":                             kind(categorySecrets, "Secret deleted"),
	"pods/exec.create":                           kind(categoryInfrastructure, "Pod exec"),
	"pods/attach.create":                         kind(categoryInfrastructure, "Pod attach"),
	"pods/portforward.create":                    kind(categoryInfrastructure, "Pod port-forward"),
	"serviceaccounts/token.create":               kind(categoryAccessControl, "Token issued"),
	"tokenreviews.create":                        kind(categoryAuthentication, "Token reviewed"),
	"certificatesigningrequests/approval.update": kind(categoryAccessControl, "Certificate approved"),

	// Keycloak user events (types) and admin events (<resourceType>.<operationType>).
	"LOGIN":                      login(),
	"LOGIN_ERROR":                loginFailed(),
	"LOGOUT":                     kind(categoryAuthentication, "Logout"),
	"LOGOUT_ERROR":               {category: categoryAuthentication, summary: "Logout failed", outcome: audit.OutcomeFailure},
	"CLIENT_LOGIN":               {category: categoryAuthentication, summary: "Client login", failureSummary: "Client login failed"},
	"CODE_TO_TOKEN":              {category: categoryAuthentication, summary: "Token issued", failureSummary: "Token exchange failed"},
	"REFRESH_TOKEN":              {category: categoryAuthentication, summary: "Token refreshed", failureSummary: "Token refresh failed"},
	"IMPERSONATE":                {category: categoryAuthentication, summary: "Impersonation", failureSummary: "Impersonation failed"},
	"REGISTER":                   {category: categoryUsers, summary: "User registered", failureSummary: "Registration failed"},
	"UPDATE_PROFILE":             {category: categoryUsers, summary: "Profile updated", failureSummary: "Profile update failed"},
	"UPDATE_EMAIL":               {category: categoryUsers, summary: "Email changed", failureSummary: "Email change failed"},
	"VERIFY_EMAIL":               {category: categoryUsers, summary: "Email verified", failureSummary: "Email verification failed"},
	"DELETE_ACCOUNT":             {category: categoryUsers, summary: "User deleted", failureSummary: "Account deletion failed"},
	"UPDATE_PASSWORD":            {category: categoryAuthentication, summary: "Password changed", failureSummary: "Password change failed"},
	"UPDATE_CREDENTIAL":          kind(categoryAuthentication, "Credential changed"),
	"RESET_PASSWORD":             {category: categoryAuthentication, summary: "Password reset", failureSummary: "Password reset failed"},
	"SEND_RESET_PASSWORD":        {category: categoryAuthentication, summary: "Password reset requested", failureSummary: "Password reset request failed"},
	"UPDATE_TOTP":                {category: categoryAuthentication, summary: "MFA enrolled", failureSummary: "MFA enrolment failed"},
	"REMOVE_TOTP":                kind(categoryAuthentication, "MFA removed"),
	"USER.CREATE":                kind(categoryUsers, "User created"),
	"USER.UPDATE":                kind(categoryUsers, "User updated"),
	"USER.DELETE":                kind(categoryUsers, "User deleted"),
	"USER.ACTION":                kind(categoryUsers, "User action"),
	"REALM_ROLE_MAPPING.CREATE":  kind(categoryAccessControl, "Role granted"),
	"REALM_ROLE_MAPPING.DELETE":  kind(categoryAccessControl, "Role revoked"),
	"CLIENT_ROLE_MAPPING.CREATE": kind(categoryAccessControl, "Role granted"),
	"CLIENT_ROLE_MAPPING.DELETE": kind(categoryAccessControl, "Role revoked"),
	"REALM_ROLE.CREATE":          kind(categoryAccessControl, "Role created"),
	"REALM_ROLE.DELETE":          kind(categoryAccessControl, "Role deleted"),
	"GROUP_MEMBERSHIP.CREATE":    kind(categoryAccessControl, "Group member added"),
	"GROUP_MEMBERSHIP.DELETE":    kind(categoryAccessControl, "Group member removed"),
	"GROUP.CREATE":               kind(categoryAccessControl, "Group created"),
	"GROUP.DELETE":               kind(categoryAccessControl, "Group deleted"),
	"REALM.UPDATE":               kind(categorySettings, "Settings changed"),
	"CLIENT.CREATE":              kind(categorySettings, "Client created"),
	"CLIENT.UPDATE":              kind(categorySettings, "Client changed"),
	"CLIENT.DELETE":              kind(categorySettings, "Client deleted"),
	"AUTH_FLOW.UPDATE":           kind(categorySettings, "Authentication flow changed"),
	"IDENTITY_PROVIDER.CREATE":   kind(categorySettings, "Identity provider created"),
	"IDENTITY_PROVIDER.UPDATE":   kind(categorySettings, "Identity provider changed"),
	"IDENTITY_PROVIDER.DELETE":   kind(categorySettings, "Identity provider deleted"),

	// More GitHub audit log actions.
	"repo.create":                          kind(categoryContent, "Repository created"),
	"repo.destroy":                         kind(categoryContent, "Repository deleted"),
	"repo.archived":                        kind(categoryContent, "Repository archived"),
	"repo.unarchived":                      kind(categoryContent, "Repository unarchived"),
	"repo.rename":                          kind(categoryContent, "Repository renamed"),
	"repo.transfer":                        kind(categoryContent, "Repository transferred"),
	"repo.access":                          kind(categorySettings, "Repository visibility changed"),
	"repo.add_member":                      kind(categoryAccessControl, "Repository access granted"),
	"repo.remove_member":                   kind(categoryAccessControl, "Repository access revoked"),
	"git.clone":                            kind(categoryContent, "Repository cloned"),
	"git.fetch":                            kind(categoryContent, "Repository fetched"),
	"git.push":                             kind(categoryContent, "Repository pushed"),
	"protected_branch.create":              kind(categorySettings, "Branch protection created"),
	"protected_branch.destroy":             kind(categorySettings, "Branch protection removed"),
	"protected_branch.update":              kind(categorySettings, "Branch protection changed"),
	"org.cancel_invitation":                kind(categoryUsers, "Invitation cancelled"),
	"org.remove_outside_collaborator":      kind(categoryUsers, "Outside collaborator removed"),
	"org.block_user":                       kind(categoryUsers, "User blocked"),
	"org.unblock_user":                     kind(categoryUsers, "User unblocked"),
	"hook.create":                          kind(categorySettings, "Webhook created"),
	"hook.destroy":                         kind(categorySettings, "Webhook deleted"),
	"hook.config_changed":                  kind(categorySettings, "Webhook changed"),
	"audit_log_streaming.create":           kind(categorySettings, "Audit log streaming created"),
	"audit_log_streaming.update":           kind(categorySettings, "Audit log streaming changed"),
	"audit_log_streaming.destroy":          kind(categorySettings, "Audit log streaming deleted"),
	"oauth_application.create":             kind(categoryAccessControl, "OAuth app created"),
	"oauth_authorization.create":           kind(categoryAccessControl, "OAuth app authorized"),
	"oauth_authorization.destroy":          kind(categoryAccessControl, "OAuth app authorization revoked"),
	"personal_access_token.access_granted": kind(categoryAccessControl, "Access token approved"),
	"personal_access_token.access_revoked": kind(categoryAccessControl, "Access token revoked"),

	// More AWS CloudTrail event names.
	"GetFederationToken":  kind(categoryAuthentication, "Session token issued"),
	"CreateGroup":         kind(categoryAccessControl, "Group created"),
	"DeleteGroup":         kind(categoryAccessControl, "Group deleted"),
	"CreatePolicy":        kind(categoryAccessControl, "Policy created"),
	"DeletePolicy":        kind(categoryAccessControl, "Policy deleted"),
	"CreatePolicyVersion": kind(categoryAccessControl, "Policy changed"),
	"CreateTrail":         kind(categorySettings, "Audit trail created"),
	"PutEventSelectors":   kind(categorySettings, "Audit trail changed"),
	"PutInsightSelectors": kind(categorySettings, "Audit trail changed"),
	"CreateSecret":        kind(categorySecrets, "Secret created"),
	"PutSecretValue":      kind(categorySecrets, "Secret changed"),
	"UpdateSecret":        kind(categorySecrets, "Secret changed"),
	"DeleteSecret":        kind(categorySecrets, "Secret deleted"),
	"CreateKey":           kind(categorySecrets, "Key created"),
	"DisableKey":          kind(categorySecrets, "Key disabled"),
	"ScheduleKeyDeletion": kind(categorySecrets, "Key deletion scheduled"),
	"CreateKeyPair":       kind(categoryInfrastructure, "Key pair created"),
	"ImportKeyPair":       kind(categoryInfrastructure, "Key pair imported"),
	"DeleteKeyPair":       kind(categoryInfrastructure, "Key pair deleted"),
	"PutObject":           kind(categoryInfrastructure, "Object uploaded"),
	"Decrypt":             kind(categorySecrets, "Data decrypted"),
	"Encrypt":             kind(categorySecrets, "Data encrypted"),
	"GenerateDataKey":     kind(categorySecrets, "Data key generated"),

	// Google Cloud Audit Logs method names.
	"SetIamPolicy": kind(categoryAccessControl, "IAM policy changed"),
	"google.iam.admin.v1.CreateServiceAccount":                               kind(categoryAccessControl, "Service account created"),
	"google.iam.admin.v1.DeleteServiceAccount":                               kind(categoryAccessControl, "Service account deleted"),
	"google.iam.admin.v1.CreateServiceAccountKey":                            kind(categoryAuthentication, "Access key created"),
	"google.iam.admin.v1.DeleteServiceAccountKey":                            kind(categoryAuthentication, "Access key deleted"),
	"google.iam.admin.v1.CreateRole":                                         kind(categoryAccessControl, "Role created"),
	"google.iam.admin.v1.UpdateRole":                                         kind(categoryAccessControl, "Role changed"),
	"google.iam.admin.v1.DeleteRole":                                         kind(categoryAccessControl, "Role deleted"),
	"google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion": kind(categorySecrets, "Secret read"),
	"google.cloud.secretmanager.v1.SecretManagerService.AddSecretVersion":    kind(categorySecrets, "Secret changed"),
	"google.cloud.secretmanager.v1.SecretManagerService.CreateSecret":        kind(categorySecrets, "Secret created"),
	"google.cloud.secretmanager.v1.SecretManagerService.DeleteSecret":        kind(categorySecrets, "Secret deleted"),
	"google.logging.v2.ConfigServiceV2.UpdateSink":                           kind(categorySettings, "Log sink changed"),
	"google.logging.v2.ConfigServiceV2.DeleteSink":                           kind(categorySettings, "Log sink deleted"),
	"google.login.LoginService.loginSuccess":                                 login(),
	"google.login.LoginService.loginFailure":                                 loginFailed(),

	// Microsoft Entra ID sign-in logs; Azure operations are matched without regard to case,
	// in azureKinds.
	"Sign-in activity": login(),
}

// builtinPrefixes cover families of names; longest prefix wins. Their categories are weak:
// a profile that knows better (the Kubernetes resource, the CloudTrail service) overrides them.
var builtinPrefixes = []prefixRule{
	// Semantic conventions and the product's own events.
	{prefix: "course.", kind: kind(categoryCourses, "")},
	{prefix: "module.", kind: kind(categoryCourses, "")},
	{prefix: "lesson.", kind: kind(categoryCourses, "")},
	{prefix: "team.", kind: kind(categoryTeams, "")},
	{prefix: "export.", kind: kind(categoryContent, "")},
	{prefix: "content.", kind: kind(categoryContent, "")},
	{prefix: "settings.", kind: kind(categorySettings, "")},
	{prefix: "secrets.", kind: kind(categorySecrets, "")},
	{prefix: "role.", kind: kind(categoryAccessControl, "")},
	{prefix: "permission.", kind: kind(categoryAccessControl, "")},
	// Audit-of-audit events ("audit_log.export_requested").
	{prefix: "audit_log.", kind: kind(categoryAuditLog, "")},
	// Okta System Log families.
	{prefix: "user.mfa.", kind: kind(categoryAuthentication, "")},
	{prefix: "user.authentication.", kind: kind(categoryAuthentication, "")},
	{prefix: "user.session.", kind: kind(categoryAuthentication, "")},
	{prefix: "user.credential.", kind: kind(categoryAuthentication, "")},
	{prefix: "user.lifecycle.", kind: kind(categoryUsers, "")},
	{prefix: "user.account.", kind: kind(categoryUsers, "")},
	{prefix: "group.", kind: kind(categoryAccessControl, "")},
	{prefix: "application.user_membership.", kind: kind(categoryAccessControl, "")},
	{prefix: "application.", kind: kind(categorySettings, "")},
	{prefix: "app.oauth2.", kind: kind(categoryAuthentication, "")},
	{prefix: "policy.", kind: kind(categorySettings, "")},
	{prefix: "system.", kind: kind(categorySettings, "")},
	{prefix: "zone.", kind: kind(categorySettings, "")},
	// GitHub audit log categories.
	{prefix: "org.", kind: kind(categorySettings, "")},
	{prefix: "business.", kind: kind(categorySettings, "")},
	{prefix: "audit_log_streaming.", kind: kind(categorySettings, "")},
	{prefix: "protected_branch.", kind: kind(categorySettings, "")},
	{prefix: "repository_ruleset.", kind: kind(categorySettings, "")},
	{prefix: "hook.", kind: kind(categorySettings, "")},
	{prefix: "environment.", kind: kind(categorySettings, "")},
	{prefix: "repo.", kind: kind(categoryContent, "")},
	{prefix: "git.", kind: kind(categoryContent, "")},
	{prefix: "repository.", kind: kind(categoryContent, "")},
	{prefix: "pull_request.", kind: kind(categoryContent, "")},
	{prefix: "migration.", kind: kind(categoryContent, "")},
	{prefix: "oauth_application.", kind: kind(categoryAccessControl, "")},
	{prefix: "oauth_access.", kind: kind(categoryAccessControl, "")},
	{prefix: "oauth_authorization.", kind: kind(categoryAccessControl, "")},
	{prefix: "personal_access_token.", kind: kind(categoryAccessControl, "")},
	{prefix: "integration_installation.", kind: kind(categoryAccessControl, "")},
	{prefix: "public_key.", kind: kind(categoryAccessControl, "")},
	{prefix: "two_factor_authentication.", kind: kind(categoryAuthentication, "")},
	{prefix: "workflows.", kind: kind(categoryInfrastructure, "")},
}

func init() {
	for i := range builtinPrefixes {
		builtinPrefixes[i].kind.weak = true
	}
	sortPrefixes(builtinPrefixes)
}

// azureKinds are Azure Resource Manager operations, matched without regard to case: the
// diagnostic export spells them in upper case, the REST API in mixed case.
var azureKinds = []struct {
	name string
	kind eventKind
}{
	{"Microsoft.Authorization/roleAssignments/write", kind(categoryAccessControl, "Role granted")},
	{"Microsoft.Authorization/roleAssignments/delete", kind(categoryAccessControl, "Role revoked")},
	{"Microsoft.Authorization/roleDefinitions/write", kind(categoryAccessControl, "Role changed")},
	{"Microsoft.Authorization/roleDefinitions/delete", kind(categoryAccessControl, "Role deleted")},
	{"Microsoft.Authorization/policyAssignments/write", kind(categorySettings, "Policy assigned")},
	{"Microsoft.Authorization/policyAssignments/delete", kind(categorySettings, "Policy unassigned")},
	{"Microsoft.Authorization/locks/write", kind(categorySettings, "Resource lock changed")},
	{"Microsoft.Authorization/locks/delete", kind(categorySettings, "Resource lock deleted")},
	{"Microsoft.Insights/diagnosticSettings/write", kind(categorySettings, "Diagnostic settings changed")},
	{"Microsoft.Insights/diagnosticSettings/delete", kind(categorySettings, "Diagnostic settings deleted")},
	{"Microsoft.KeyVault/vaults/write", kind(categorySecrets, "Key vault changed")},
	{"Microsoft.KeyVault/vaults/delete", kind(categorySecrets, "Key vault deleted")},
	{"Microsoft.KeyVault/vaults/accessPolicies/write", kind(categoryAccessControl, "Key vault access changed")},
}

type prefixRule struct {
	prefix string
	kind   eventKind
}

type globRule struct {
	pattern string
	kind    eventKind
}

// maxCachedNames bounds the cache of names resolved through prefixes, globs or derivation.
const maxCachedNames = 4096

// catalogue resolves event names. Names found in resolved cost one map lookup; others are
// resolved once through prefixes, globs and derivation, then cached (bounded). Every kind it
// returns is complete: summary, failure summary and source are filled in once, not per record.
type catalogue struct {
	resolved     map[string]eventKind
	userExact    map[string]eventKind
	userPrefixes []prefixRule
	userGlobs    []globRule
	cache        sync.Map
	cached       atomic.Int64
}

func newCatalogue(entries []CatalogueEntry) *catalogue {
	c := &catalogue{resolved: make(map[string]eventKind, len(builtinCatalogue)), userExact: map[string]eventKind{}}
	for _, e := range entries {
		k := eventKind{category: e.Category, summary: e.Summary, failureSummary: e.FailureSummary, outcome: e.Outcome}
		switch {
		case e.Name != "":
			if _, dup := c.userExact[e.Name]; !dup {
				c.userExact[e.Name] = k
			}
		case e.Prefix != "":
			c.userPrefixes = append(c.userPrefixes, prefixRule{prefix: e.Prefix, kind: k})
		case e.Glob != "":
			c.userGlobs = append(c.userGlobs, globRule{pattern: e.Glob, kind: k})
		}
	}
	sortPrefixes(c.userPrefixes)
	// Precompute the built-in names so that user prefixes and globs still override them while
	// the common case stays one map lookup.
	for name, k := range builtinCatalogue {
		if uk, ok := c.userRule(name); ok {
			k = uk
		}
		c.resolved[name] = fill(name, k)
	}
	for name, k := range c.userExact {
		c.resolved[name] = fill(name, k)
	}
	return c
}

// sortPrefixes orders longest first, so that the first match is the most specific.
func sortPrefixes(p []prefixRule) {
	sort.SliceStable(p, func(i, j int) bool { return len(p[i].prefix) > len(p[j].prefix) })
}

func (c *catalogue) userRule(name string) (eventKind, bool) {
	if k, ok := c.userExact[name]; ok {
		return k, true
	}
	for _, p := range c.userPrefixes {
		if strings.HasPrefix(name, p.prefix) {
			return p.kind, true
		}
	}
	for _, g := range c.userGlobs {
		if globMatch(g.pattern, name) {
			return g.kind, true
		}
	}
	return eventKind{}, false
}

// lookup returns the kind of event name.
func (c *catalogue) lookup(name string) eventKind {
	if k, ok := c.resolved[name]; ok {
		return k
	}
	if v, ok := c.cache.Load(name); ok {
		return v.(eventKind)
	}
	k := c.resolve(name)
	if c.cached.Load() < maxCachedNames {
		if _, loaded := c.cache.LoadOrStore(name, k); !loaded {
			c.cached.Add(1)
		}
	}
	return k
}

// fill completes k from the name: a summary derived from it when k has none, the failure
// summary, and the source's grouping.
func fill(name string, k eventKind) eventKind {
	d := deriveKind(name)
	if k.summary == "" {
		k.summary = d.summary
	}
	if k.source == "" {
		k.source = d.source
	}
	if k.failureSummary == "" && k.outcome != audit.OutcomeFailure {
		k.failureSummary = failedSummary(k.summary)
	}
	return k
}

func (c *catalogue) resolve(name string) eventKind {
	if k, ok := c.userRule(name); ok {
		return fill(name, k)
	}
	// Keycloak reports failures as <TYPE>_ERROR; error types read as their base failed.
	if base, ok := strings.CutSuffix(name, "_ERROR"); ok && base != "" {
		if k, ok := c.resolved[base]; ok {
			if k.failureSummary != "" {
				k.summary = k.failureSummary
			}
			k.failureSummary = ""
			k.outcome = audit.OutcomeFailure
			return k
		}
		if !strings.Contains(name, ".") {
			d := deriveKind(base)
			return eventKind{summary: failedSummary(d.summary), source: d.source, outcome: audit.OutcomeFailure}
		}
	}
	if isAzureOperation(name) {
		for _, a := range azureKinds {
			if strings.EqualFold(a.name, name) {
				return fill(name, a.kind)
			}
		}
	}
	// A secret anywhere in the name (GitHub "repo.create_actions_secret", CloudTrail
	// "GetSecretValue") is about secrets, whatever the family.
	if containsFold(name, "secret") {
		return fill(name, eventKind{category: categorySecrets, weak: true})
	}
	for _, p := range builtinPrefixes {
		if strings.HasPrefix(name, p.prefix) {
			return fill(name, p.kind)
		}
	}
	return fill(name, eventKind{})
}

// deriveKind reads a summary and the source's grouping from a name, never a category: a name
// the catalogue does not know says nothing reliable about the section of the product.
//   - "<group>.<action>" (GitHub, Okta, Kubernetes, Keycloak admin events): the group is the
//     source ("repo.create" -> "Repo"), the action the summary ("Repository created" comes
//     from the catalogue; "deployments.patch" -> "Deployment patched").
//   - "<Verb><Object>" (CloudTrail, Google Cloud): "CreateBucket" -> "Bucket created".
//   - Azure "<Provider>/<type>/<verb>": the provider is the source.
func deriveKind(name string) eventKind {
	if name == "" {
		return eventKind{}
	}
	if isAzureOperation(name) {
		return deriveAzure(name)
	}
	head, rest, dotted := strings.Cut(name, ".")
	if !dotted || head == "" || rest == "" {
		return eventKind{summary: deriveSummary("", name)}
	}
	source := head
	if i := strings.IndexByte(source, '/'); i > 0 {
		// A Kubernetes subresource ("pods/exec") belongs to its resource.
		source = source[:i]
	}
	return eventKind{source: humanize(source), summary: deriveSummary(head, rest)}
}

// deriveSummary phrases the action part of a name: a leading verb becomes a participle after
// its object ("add_member" -> "Member added", "CreateServiceAccountKey" -> "Service account
// key created"; a bare verb takes the group as object). Long dotted names are read from their
// last segments ("v1.compute.instances.insert" -> "Instance created").
func deriveSummary(head, rest string) string {
	tail, owner := rest, head
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		last, prev := rest[i+1:], rest[:i]
		if j := strings.LastIndexByte(prev, '.'); j >= 0 {
			prev = prev[j+1:]
		}
		if !hasUpperLower(last) {
			if p, ok := participles[strings.ToLower(last)]; ok && prev != "" {
				return humanize(singular(prev)) + " " + p
			}
			return humanize(prev + " " + last)
		}
		// "…SqlInstancesService.Delete": the service names what a bare verb acts on.
		tail, owner = last, strings.TrimSuffix(prev, "Service")
	}
	if verb, object, ok := leadingVerb(tail); ok {
		switch {
		case object != "":
			return humanize(object) + " " + verb
		case owner != "":
			return humanize(singular(owner)) + " " + verb
		}
	}
	// "certificate.issued": the group and what happened to it.
	if owner != "" && endsWithParticiple(tail) && strings.IndexAny(tail, "_-") < 0 && !hasUpperLower(tail) {
		return humanize(singular(owner) + " " + strings.ToLower(tail))
	}
	return humanize(tail)
}

// leadingVerb splits "add_member", "CreateBucket" or "UPDATE" into a participle and the rest.
func leadingVerb(s string) (participle, object string, ok bool) {
	word, object := s, ""
	if i := strings.IndexAny(s, "_-"); i > 0 {
		word, object = s[:i], s[i+1:]
	} else if hasUpperLower(s) {
		for i := 1; i < len(s); i++ {
			if c := s[i]; c >= 'A' && c <= 'Z' {
				word, object = s[:i], s[i:]
				break
			}
		}
	}
	participle, ok = participles[strings.ToLower(word)]
	// "export_requested" is an object and a participle already, not a verb and its object.
	if ok && object != "" && endsWithParticiple(object) {
		return "", "", false
	}
	return participle, object, ok
}

// endsWithParticiple reports whether the last word of an identifier ends in "ed".
func endsWithParticiple(s string) bool {
	n := len(s)
	return n >= 2 && s[n-2]|0x20 == 'e' && s[n-1]|0x20 == 'd'
}

// participles phrase the verbs of event names as the summary's last word.
var participles = map[string]string{
	"create": "created", "insert": "created", "delete": "deleted", "destroy": "deleted",
	"deletecollection": "deleted", "remove": "removed", "add": "added", "update": "updated",
	"patch": "patched", "modify": "changed", "change": "changed", "edit": "changed",
	"write": "changed", "upsert": "changed", "get": "read", "read": "read", "list": "listed",
	"watch": "watched", "describe": "described", "enable": "enabled", "disable": "disabled",
	"rename": "renamed", "archive": "archived", "unarchive": "unarchived", "set": "set",
	"put": "set", "attach": "attached", "detach": "detached", "grant": "granted",
	"revoke": "revoked", "invite": "invited", "approve": "approved", "reject": "rejected",
	"start": "started", "stop": "stopped", "restart": "restarted", "terminate": "terminated",
	"reboot": "rebooted", "import": "imported", "export": "exported", "upload": "uploaded",
	"download": "downloaded", "clone": "cloned", "push": "pushed", "fetch": "fetched",
	"transfer": "transferred", "publish": "published", "suspend": "suspended",
	"unsuspend": "unsuspended", "activate": "activated", "deactivate": "deactivated",
	"lock": "locked", "unlock": "unlocked", "reset": "reset", "assign": "assigned",
	"unassign": "unassigned", "enroll": "enrolled", "verify": "verified", "promote": "promoted",
	"demote": "demoted", "block": "blocked", "unblock": "unblocked", "cancel": "cancelled",
	"tag": "tagged", "untag": "untagged", "schedule": "scheduled", "issue": "issued",
	"request": "requested",
}

// failureNouns turn a summary's participle into the noun of its failure summary:
// "Permission granted" fails as "Permission grant failed".
var failureNouns = map[string]string{
	"created": "creation", "deleted": "deletion", "removed": "removal", "added": "addition",
	"updated": "update", "patched": "patch", "changed": "change", "read": "read",
	"listed": "listing", "watched": "watch", "described": "description", "enabled": "enabling",
	"disabled": "disabling", "renamed": "rename", "archived": "archiving",
	"unarchived": "unarchiving", "set": "change", "attached": "attachment",
	"detached": "detachment", "granted": "grant", "revoked": "revocation", "invited": "invitation",
	"approved": "approval", "rejected": "rejection", "started": "start", "stopped": "stop",
	"restarted": "restart", "terminated": "termination", "rebooted": "reboot", "imported": "import",
	"exported": "export", "uploaded": "upload", "downloaded": "download", "cloned": "clone",
	"pushed": "push", "fetched": "fetch", "transferred": "transfer", "published": "publication",
	"suspended": "suspension", "unsuspended": "unsuspension", "activated": "activation",
	"deactivated": "deactivation", "locked": "lock", "unlocked": "unlock", "reset": "reset",
	"assigned": "assignment", "unassigned": "unassignment", "enrolled": "enrolment",
	"unenrolled": "unenrolment", "verified": "verification", "promoted": "promotion",
	"demoted": "demotion", "blocked": "block", "unblocked": "unblock", "cancelled": "cancellation",
	"tagged": "tagging", "untagged": "untagging", "scheduled": "scheduling", "issued": "issue",
	"assumed": "assumption", "requested": "request", "completed": "completion",
	"registered": "registration", "reviewed": "review", "authorized": "authorization",
	"overridden": "override", "decrypted": "decryption", "encrypted": "encryption",
	"generated": "generation", "logged": "logging",
	"exceeded": "", "detected": "", "failed": "", "denied": "",
}

// failedSummary phrases the failure of a summary: "Permission granted" -> "Permission grant
// failed", "User created" -> "User creation failed", "Logout" -> "Logout failed". A summary
// that already says something went wrong ("Rate limit exceeded") stays as it is.
func failedSummary(s string) string {
	if s == "" {
		return ""
	}
	last, before := s, ""
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		last, before = s[i+1:], s[:i+1]
	}
	noun, ok := failureNouns[strings.ToLower(last)]
	switch {
	case ok && noun == "":
		return s
	case ok && before != "":
		return before + noun + " failed"
	default:
		return s + " failed"
	}
}

// isAzureOperation reports an Azure Resource Manager operation name
// ("MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE"): a dotted provider, then a path.
func isAzureOperation(name string) bool {
	provider, rest, ok := strings.Cut(name, "/")
	return ok && rest != "" && strings.IndexByte(provider, '.') > 0 && len(provider) > len("microsoft.") &&
		strings.EqualFold(provider[:len("microsoft.")], "microsoft.")
}

// deriveAzure phrases an Azure operation: "<Provider>/<types…>/<verb>", where the verb is
// read, write, delete or action (with the action's name before it).
func deriveAzure(name string) eventKind {
	segs := strings.Split(name, "/")
	provider := segs[0][len("microsoft."):]
	k := eventKind{source: humanize(provider)}
	verb := segs[len(segs)-1]
	if len(segs) < 3 {
		k.summary = humanize(verb)
		return k
	}
	object := segs[len(segs)-2]
	switch strings.ToLower(verb) {
	case "write":
		k.summary = humanize(singular(object)) + " changed"
	case "delete":
		k.summary = humanize(singular(object)) + " deleted"
	case "read":
		k.summary = humanize(singular(object)) + " read"
	case "action":
		if len(segs) >= 4 {
			k.summary = humanize(singular(segs[len(segs)-3]) + " " + object)
		} else {
			k.summary = humanize(object)
		}
	default:
		k.summary = humanize(object + " " + verb)
	}
	return k
}

// singular drops an English plural ending, as resource names carry ("deployments",
// "policies", "ingresses"), whatever the case.
func singular(s string) string {
	n := len(s)
	lower := func(i int) byte { return s[i] | 0x20 }
	switch {
	case n > 3 && lower(n-3) == 'i' && lower(n-2) == 'e' && lower(n-1) == 's':
		if s[n-1] == 'S' {
			return s[:n-3] + "Y"
		}
		return s[:n-3] + "y"
	case n > 4 && lower(n-2) == 'e' && lower(n-1) == 's' &&
		(lower(n-3) == 'x' || (lower(n-4) == 's' && lower(n-3) == 's') || (lower(n-3) == 'h' && (lower(n-4) == 's' || lower(n-4) == 'c'))):
		return s[:n-2]
	case n > 2 && lower(n-1) == 's' && lower(n-2) != 's' && lower(n-2) != 'u':
		return s[:n-1]
	}
	return s
}

func hasUpperLower(s string) bool {
	upper, lower := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		upper = upper || (c >= 'A' && c <= 'Z')
		lower = lower || (c >= 'a' && c <= 'z')
	}
	return upper && lower
}

// containsFold reports whether s contains the lower-case ASCII word sub, in any case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for j < len(sub) && s[i+j]|0x20 == sub[j] {
			j++
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// humanize turns an identifier ("add_member", "session.start", "AttachUserPolicy",
// "REALM_ROLE_MAPPING") into a sentence-case phrase ("Add member", "Session start",
// "Attach user policy", "Realm role mapping").
func humanize(s string) string {
	s = cleanString(s, maxNameLen)
	var b strings.Builder
	b.Grow(len(s) + 4)
	allUpper := strings.ToUpper(s) == s
	prevLower, prevSep := false, true
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '.' || ch == '_' || ch == '-' || ch == '/' || ch == ' ' || ch == ':':
			if !prevSep {
				b.WriteByte(' ')
			}
			prevSep, prevLower = true, false
			continue
		case ch >= 'A' && ch <= 'Z':
			if !allUpper && !prevSep {
				// A boundary before an upper-case letter that follows a lower-case one, or that
				// ends an acronym ("MFADevice" -> "mfa device").
				nextLower := i+1 < len(s) && s[i+1] >= 'a' && s[i+1] <= 'z'
				prevUpper := i > 0 && s[i-1] >= 'A' && s[i-1] <= 'Z'
				if prevLower || (prevUpper && nextLower) {
					b.WriteByte(' ')
				}
			}
			b.WriteByte(ch + 'a' - 'A')
			prevLower = false
		default:
			b.WriteByte(ch)
			prevLower = ch >= 'a' && ch <= 'z'
		}
		prevSep = false
	}
	out := strings.TrimRight(b.String(), " ")
	if out == "" {
		return ""
	}
	if c := out[0]; c >= 'a' && c <= 'z' {
		out = string(c-('a'-'A')) + out[1:]
	}
	return out
}

// globMatch reports whether name matches pattern, where * matches any run of bytes and ? one
// byte. It runs in linear time with one backtrack point, never a regular expression.
func globMatch(pattern, name string) bool {
	p, n := 0, 0
	starP, starN := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == name[n]):
			p++
			n++
		case p < len(pattern) && pattern[p] == '*':
			starP, starN = p, n
			p++
		case starP >= 0:
			starN++
			p, n = starP+1, starN
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
