package auditnormalizerprocessor

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// Categories of the built-in catalogue.
const (
	categoryAuthentication = audit.CategoryAuthentication
	categoryUsers          = "Users"
	categoryRoles          = "Roles"
	categoryGroups         = "Groups"
	categoryTeams          = "Teams"
	categorySettings       = "Settings"
	categoryContent        = "Content"
	categoryCourses        = "Courses"
	categoryExports        = "Exports"
	categorySecrets        = "Secrets"
	categoryWorkloads      = "Workloads"
)

// eventKind is what the catalogue says about one event name. An empty category means "not
// derivable from the name": the profile's hint or the fallback category applies.
type eventKind struct {
	category       string
	summary        string
	failureSummary string
	outcome        string
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
	"user.role_granted":             kind(categoryRoles, "Role granted"),
	"user.role_revoked":             kind(categoryRoles, "Role revoked"),
	"role.granted":                  kind(categoryRoles, "Role granted"),
	"role.revoked":                  kind(categoryRoles, "Role revoked"),
	"role.assigned":                 kind(categoryRoles, "Role granted"),
	"role.unassigned":               kind(categoryRoles, "Role revoked"),
	"permission.granted":            kind(categoryRoles, "Permission granted"),
	"permission.revoked":            kind(categoryRoles, "Permission revoked"),
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
	"export.requested":              kind(categoryExports, "Export requested"),
	"export.completed":              kind(categoryExports, "Export completed"),
	"export.downloaded":             kind(categoryExports, "Export downloaded"),
	"report.downloaded":             kind(categoryExports, "Report downloaded"),
	"file.downloaded":               kind(categoryExports, "File downloaded"),

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
	"user.account.lock":                  kind(categoryUsers, "User locked"),
	"user.account.unlock":                kind(categoryUsers, "User unlocked"),
	"user.account.update_profile":        kind(categoryUsers, "Profile updated"),
	"user.lifecycle.create":              kind(categoryUsers, "User created"),
	"user.lifecycle.activate":            kind(categoryUsers, "User activated"),
	"user.lifecycle.deactivate":          kind(categoryUsers, "User deactivated"),
	"user.lifecycle.suspend":             kind(categoryUsers, "User suspended"),
	"user.lifecycle.unsuspend":           kind(categoryUsers, "User unsuspended"),
	"user.lifecycle.delete.initiated":    kind(categoryUsers, "User deleted"),
	"user.account.privilege.grant":       kind(categoryRoles, "Role granted"),
	"user.account.privilege.revoke":      kind(categoryRoles, "Role revoked"),
	"group.user_membership.add":          kind(categoryGroups, "Group member added"),
	"group.user_membership.remove":       kind(categoryGroups, "Group member removed"),
	"group.privilege.grant":              kind(categoryRoles, "Role granted"),
	"group.privilege.revoke":             kind(categoryRoles, "Role revoked"),
	"application.user_membership.add":    kind(categoryRoles, "Application access granted"),
	"application.user_membership.remove": kind(categoryRoles, "Application access revoked"),
	"policy.lifecycle.update":            kind(categorySettings, "Policy updated"),
	"policy.rule.update":                 kind(categorySettings, "Policy updated"),
	"system.org.rate_limit.violation":    kind(categorySettings, "Rate limit exceeded"),

	// GitHub audit log actions. repo.* and most others read well when derived from the name.
	"org.add_member":                           kind(categoryUsers, "Member added"),
	"org.remove_member":                        kind(categoryUsers, "Member removed"),
	"org.invite_member":                        kind(categoryUsers, "Member invited"),
	"org.update_member":                        kind(categoryRoles, "Member role changed"),
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
	"repo.download_zip":                        kind(categoryExports, "Archive downloaded"),
	"migration.create":                         kind(categoryExports, "Export requested"),
	"personal_access_token.request_created":    kind(categoryAuthentication, "Access token requested"),
	// GitHub webhook deliveries: X-GitHub-Event "." action.
	"member.added":                kind(categoryRoles, "Repository access granted"),
	"member.removed":              kind(categoryRoles, "Repository access revoked"),
	"member.edited":               kind(categoryRoles, "Repository access changed"),
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
	"SwitchRole":                    kind(categoryAuthentication, "Role assumed"),
	"AssumeRole":                    kind(categoryAuthentication, "Role assumed"),
	"AssumeRoleWithSAML":            kind(categoryAuthentication, "Role assumed"),
	"AssumeRoleWithWebIdentity":     kind(categoryAuthentication, "Role assumed"),
	"GetSessionToken":               kind(categoryAuthentication, "Session token issued"),
	"ChangePassword":                kind(categoryAuthentication, "Password changed"),
	"UpdateLoginProfile":            kind(categoryAuthentication, "Password changed"),
	"CreateLoginProfile":            kind(categoryAuthentication, "Password set"),
	"DeleteLoginProfile":            kind(categoryAuthentication, "Password removed"),
	"EnableMFADevice":               kind(categoryAuthentication, "MFA enrolled"),
	"DeactivateMFADevice":           kind(categoryAuthentication, "MFA removed"),
	"CreateAccessKey":               kind(categoryAuthentication, "Access key created"),
	"DeleteAccessKey":               kind(categoryAuthentication, "Access key deleted"),
	"UpdateAccessKey":               kind(categoryAuthentication, "Access key updated"),
	"CreateUser":                    kind(categoryUsers, "User created"),
	"DeleteUser":                    kind(categoryUsers, "User deleted"),
	"UpdateUser":                    kind(categoryUsers, "User updated"),
	"AddUserToGroup":                kind(categoryGroups, "Group member added"),
	"RemoveUserFromGroup":           kind(categoryGroups, "Group member removed"),
	"AttachUserPolicy":              kind(categoryRoles, "Permission granted"),
	"AttachRolePolicy":              kind(categoryRoles, "Permission granted"),
	"AttachGroupPolicy":             kind(categoryRoles, "Permission granted"),
	"PutUserPolicy":                 kind(categoryRoles, "Permission granted"),
	"PutRolePolicy":                 kind(categoryRoles, "Permission granted"),
	"PutGroupPolicy":                kind(categoryRoles, "Permission granted"),
	"DetachUserPolicy":              kind(categoryRoles, "Permission revoked"),
	"DetachRolePolicy":              kind(categoryRoles, "Permission revoked"),
	"DetachGroupPolicy":             kind(categoryRoles, "Permission revoked"),
	"DeleteUserPolicy":              kind(categoryRoles, "Permission revoked"),
	"DeleteRolePolicy":              kind(categoryRoles, "Permission revoked"),
	"DeleteGroupPolicy":             kind(categoryRoles, "Permission revoked"),
	"CreateRole":                    kind(categoryRoles, "Role created"),
	"DeleteRole":                    kind(categoryRoles, "Role deleted"),
	"UpdateAssumeRolePolicy":        kind(categoryRoles, "Role trust changed"),
	"StopLogging":                   kind(categorySettings, "Audit logging stopped"),
	"StartLogging":                  kind(categorySettings, "Audit logging started"),
	"DeleteTrail":                   kind(categorySettings, "Audit trail deleted"),
	"UpdateTrail":                   kind(categorySettings, "Audit trail changed"),
	"PutBucketPolicy":               kind(categorySettings, "Bucket policy changed"),
	"PutBucketAcl":                  kind(categorySettings, "Bucket policy changed"),
	"PutBucketPublicAccessBlock":    kind(categorySettings, "Bucket public access changed"),
	"AuthorizeSecurityGroupIngress": kind(categorySettings, "Firewall rule added"),
	"RevokeSecurityGroupIngress":    kind(categorySettings, "Firewall rule removed"),
	"GetSecretValue":                kind(categorySecrets, "Secret read"),

	// Kubernetes audit events.
	"rolebindings.create":                        kind(categoryRoles, "Role granted"),
	"rolebindings.delete":                        kind(categoryRoles, "Role revoked"),
	"rolebindings.update":                        kind(categoryRoles, "Role binding changed"),
	"rolebindings.patch":                         kind(categoryRoles, "Role binding changed"),
	"clusterrolebindings.create":                 kind(categoryRoles, "Role granted"),
	"clusterrolebindings.delete":                 kind(categoryRoles, "Role revoked"),
	"clusterrolebindings.update":                 kind(categoryRoles, "Role binding changed"),
	"clusterrolebindings.patch":                  kind(categoryRoles, "Role binding changed"),
	"roles.create":                               kind(categoryRoles, "Role created"),
	"roles.delete":                               kind(categoryRoles, "Role deleted"),
	"roles.update":                               kind(categoryRoles, "Role changed"),
	"roles.patch":                                kind(categoryRoles, "Role changed"),
	"clusterroles.create":                        kind(categoryRoles, "Role created"),
	"clusterroles.delete":                        kind(categoryRoles, "Role deleted"),
	"clusterroles.update":                        kind(categoryRoles, "Role changed"),
	"clusterroles.patch":                         kind(categoryRoles, "Role changed"),
	"secrets.get":                                kind(categorySecrets, "Secret read"),
	"secrets.list":                               kind(categorySecrets, "Secrets listed"),
	"secrets.watch":                              kind(categorySecrets, "Secrets watched"),
	"secrets.create":                             kind(categorySecrets, "Secret created"),
	"secrets.update":                             kind(categorySecrets, "Secret changed"),
	"secrets.patch":                              kind(categorySecrets, "Secret changed"),
	"secrets.delete":                             kind(categorySecrets, "Secret deleted"),
	"pods/exec.create":                           kind(categoryWorkloads, "Pod exec"),
	"pods/attach.create":                         kind(categoryWorkloads, "Pod attach"),
	"pods/portforward.create":                    kind(categoryWorkloads, "Pod port-forward"),
	"serviceaccounts/token.create":               kind(categoryAuthentication, "Token issued"),
	"tokenreviews.create":                        kind(categoryAuthentication, "Token reviewed"),
	"certificatesigningrequests/approval.update": kind(categoryAuthentication, "Certificate approved"),

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
	"REALM_ROLE_MAPPING.CREATE":  kind(categoryRoles, "Role granted"),
	"REALM_ROLE_MAPPING.DELETE":  kind(categoryRoles, "Role revoked"),
	"CLIENT_ROLE_MAPPING.CREATE": kind(categoryRoles, "Role granted"),
	"CLIENT_ROLE_MAPPING.DELETE": kind(categoryRoles, "Role revoked"),
	"REALM_ROLE.CREATE":          kind(categoryRoles, "Role created"),
	"REALM_ROLE.DELETE":          kind(categoryRoles, "Role deleted"),
	"GROUP_MEMBERSHIP.CREATE":    kind(categoryGroups, "Group member added"),
	"GROUP_MEMBERSHIP.DELETE":    kind(categoryGroups, "Group member removed"),
	"GROUP.CREATE":               kind(categoryGroups, "Group created"),
	"GROUP.DELETE":               kind(categoryGroups, "Group deleted"),
	"REALM.UPDATE":               kind(categorySettings, "Settings changed"),
	"CLIENT.CREATE":              kind(categorySettings, "Client created"),
	"CLIENT.UPDATE":              kind(categorySettings, "Client changed"),
	"CLIENT.DELETE":              kind(categorySettings, "Client deleted"),
	"AUTH_FLOW.UPDATE":           kind(categorySettings, "Authentication flow changed"),
	"IDENTITY_PROVIDER.CREATE":   kind(categorySettings, "Identity provider created"),
	"IDENTITY_PROVIDER.UPDATE":   kind(categorySettings, "Identity provider changed"),
	"IDENTITY_PROVIDER.DELETE":   kind(categorySettings, "Identity provider deleted"),
}

// builtinPrefixes cover families of names; longest prefix wins.
var builtinPrefixes = []prefixRule{
	{prefix: "user.mfa.factor.", kind: kind(categoryAuthentication, "")},
	{prefix: "user.authentication.", kind: kind(categoryAuthentication, "")},
	{prefix: "user.session.", kind: kind(categoryAuthentication, "")},
	{prefix: "user.lifecycle.", kind: kind(categoryUsers, "")},
	{prefix: "user.account.", kind: kind(categoryUsers, "")},
	{prefix: "policy.", kind: kind(categorySettings, "")},
	{prefix: "course.", kind: kind(categoryCourses, "")},
	{prefix: "module.", kind: kind(categoryCourses, "")},
	{prefix: "team.", kind: kind(categoryTeams, "")},
	{prefix: "export.", kind: kind(categoryExports, "")},
	{prefix: "settings.", kind: kind(categorySettings, "")},
	{prefix: "secrets.", kind: kind(categorySecrets, "")},
}

func init() { sortPrefixes(builtinPrefixes) }

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
// resolved once through prefixes, globs and derivation, then cached (bounded).
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
		c.resolved[name] = k
	}
	for name, k := range c.userExact {
		c.resolved[name] = k
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

// lookup returns the kind of event name, with empty category and summary filled from the name
// where it can be derived.
func (c *catalogue) lookup(name string) eventKind {
	if k, ok := c.resolved[name]; ok {
		return c.fill(name, k)
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

func (c *catalogue) fill(name string, k eventKind) eventKind {
	if k.category != "" && k.summary != "" {
		return k
	}
	d := deriveKind(name)
	if k.category == "" {
		k.category = d.category
	}
	if k.summary == "" {
		k.summary = d.summary
	}
	return k
}

func (c *catalogue) resolve(name string) eventKind {
	if k, ok := c.userRule(name); ok {
		return c.fill(name, k)
	}
	// Keycloak reports failures as <TYPE>_ERROR; unknown error types read like their base.
	if base, ok := strings.CutSuffix(name, "_ERROR"); ok && base != "" {
		if k, ok := c.resolved[base]; ok {
			k = c.fill(base, k)
			if k.failureSummary != "" {
				k.summary = k.failureSummary
			} else {
				k.summary += " failed"
			}
			k.failureSummary = ""
			k.outcome = audit.OutcomeFailure
			return k
		}
	}
	for _, p := range builtinPrefixes {
		if strings.HasPrefix(name, p.prefix) {
			return c.fill(name, p.kind)
		}
	}
	return deriveKind(name)
}

// deriveKind reads a category and a summary from the name itself: "repo.create" is category
// "Repo", summary "Create"; a name without a dot ("ConsoleLogin") gives only a summary.
func deriveKind(name string) eventKind {
	if name == "" {
		return eventKind{}
	}
	head, rest, ok := strings.Cut(name, ".")
	if !ok || head == "" || rest == "" {
		return eventKind{summary: humanize(name)}
	}
	return eventKind{category: humanize(head), summary: humanize(rest)}
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
