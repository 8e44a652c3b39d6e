package auditnormalizerprocessor

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// gitHubProfile maps GitHub audit log entries and webhook deliveries.
type gitHubProfile struct{}

func (gitHubProfile) detect(m pcommon.Map) bool {
	a, ok := m.Get("action")
	if !ok || a.Type() != pcommon.ValueTypeStr {
		return false
	}
	if _, isDelivery := sub(m, "sender"); isDelivery {
		return has(m, "organization") || has(m, "repository") || has(m, "enterprise")
	}
	return has(m, "actor") && (has(m, "_document_id") || has(m, "@timestamp") || has(m, "org") || has(m, "created_at") || has(m, "business"))
}

// Attributes the webhook receiver sets on a GitHub webhook delivery.
const (
	attrGitHubEvent       = "github.event"
	attrWebhookDeliveryID = "audit.webhook.delivery_id"
)

// gitHubDeliveryTargets are the objects a webhook delivery acts on, most specific first,
// with the field that names each.
var gitHubDeliveryTargets = [][2]string{
	{"member", "login"}, {"team", "name"}, {"repository", "full_name"}, {"organization", "login"},
}

func (p gitHubProfile) extract(m pcommon.Map, lr plog.LogRecord, ev *event) {
	if sender, ok := sub(m, "sender"); ok && !has(m, "actor") {
		p.extractDelivery(m, sender, lr, ev)
		return
	}
	ev.name = str(m, "action")
	ev.author = str(m, "actor")
	ev.authorID = str(m, "actor_id")
	// GitHub states no outcome; only actions named as failures or rejections say one.
	if strings.Contains(ev.name, "fail") || strings.Contains(ev.name, "reject") {
		ev.outcome = audit.OutcomeFailure
	}
	ev.clientAddr = ipOnly(str(m, "actor_ip"))
	ev.userAgent = str(m, "user_agent")
	gitHubTargets(m, ev)
	ev.tenant = str(m, "org")
	if ev.tenant == "" {
		ev.tenant = str(m, "business")
	}
	ev.eventID = str(m, "_document_id")
	// @timestamp is milliseconds since the epoch; created_at is milliseconds too, or RFC 3339
	// in some exports. The first that reads as a time wins.
	ev.addTime(m, "@timestamp")
	ev.addTime(m, "created_at")
}

// gitHubTargets reads the target: the user acted upon, else the team, else the repository.
// A team or repository next to a user (or a repository next to a team) is the description's
// object: "Team member added by octocat on monalisa (team octo-org/ops)".
func gitHubTargets(m pcommon.Map, ev *event) {
	user, team := str(m, "user"), str(m, "team")
	repo := firstNonEmpty(str(m, "repo"), str(m, "repository"))
	switch {
	case user != "":
		ev.target = user
		switch {
		case team != "":
			ev.object, ev.objectKind = team, "team"
		case repo != "":
			ev.object, ev.objectKind = repo, "repository"
		}
	case team != "":
		ev.target = team
		if repo != "" {
			ev.object, ev.objectKind = repo, "repository"
		}
	case repo != "":
		ev.target = repo
	default:
		ev.target = str(m, "permission")
	}
	if ev.object == "" {
		if branch := str(m, "branch"); branch != "" {
			ev.object, ev.objectKind = branch, "branch"
		}
	}
}

// extractDelivery maps a webhook delivery (member, repository, team, organization events):
// the event name is X-GitHub-Event plus the payload's action ("member.added"), the author is
// the sender, the tenant the organization, and the id X-GitHub-Delivery, which GitHub keeps
// across redeliveries. Deliveries carry no event time; the record's time, if any, is used.
func (gitHubProfile) extractDelivery(m, sender pcommon.Map, lr plog.LogRecord, ev *event) {
	a := lr.Attributes()
	ev.name = str(a, attrGitHubEvent)
	if action := str(m, "action"); action != "" {
		if ev.name != "" {
			ev.name += "."
		}
		ev.name += action
	}
	ev.author = str(sender, "login")
	ev.authorID = str(sender, "id")
	if strings.HasSuffix(ev.author, "[bot]") {
		ev.author = audit.AuthorSystem
	}
	if membership, ok := sub(m, "membership"); ok {
		ev.target = subStr(membership, "user", "login")
	}
	for _, t := range gitHubDeliveryTargets {
		if ev.target != "" {
			break
		}
		ev.target = subStr(m, t[0], t[1])
	}
	if ev.target != "" && ev.target == subStr(m, "member", "login") {
		if repo := subStr(m, "repository", "full_name"); repo != "" {
			ev.object, ev.objectKind = repo, "repository"
		}
	}
	ev.tenant = subStr(m, "organization", "login")
	if ev.tenant == "" {
		ev.tenant = subStr(m, "enterprise", "slug")
	}
	ev.eventID = str(a, attrWebhookDeliveryID)
	ev.timeNanos = int64(lr.Timestamp())
}
