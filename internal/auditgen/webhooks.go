package auditgen

import (
	"encoding/json"
	"fmt"
	"time"
)

// ScenarioWebhooks posts every vendor shape to its audit_webhook endpoint instead of sending
// OTLP: see Generator.Webhooks. Over OTLP (Batch) it sends the same raw shapes as
// ScenarioMixed.
const ScenarioWebhooks = "webhooks"

// Webhook endpoint kinds of the audit_webhook receiver, in the order Webhooks returns them.
const (
	WebhookOkta       = "okta"
	WebhookKubernetes = "kubernetes"
	WebhookCloudTrail = "cloudtrail"
	WebhookGitHub     = "github"
	WebhookGeneric    = "generic"
)

// WebhookKinds lists every endpoint kind the webhooks scenario posts to.
var WebhookKinds = []string{WebhookOkta, WebhookKubernetes, WebhookCloudTrail, WebhookGitHub, WebhookGeneric}

// WebhookRequest is one delivery to the audit_webhook receiver, in the vendor's own envelope.
type WebhookRequest struct {
	// Kind is the endpoint kind (WebhookOkta, ...).
	Kind string
	// Path is the receiver's default path for the kind, "/webhook/<kind>".
	Path string
	// Body is the JSON body.
	Body []byte
	// EventIDs are the vendor's ids of the events in the body, in order.
	EventIDs []string
}

// Webhooks returns one request per endpoint kind, each carrying n events stamped with the
// generator's clock: Loki refuses entries far older than the newest of their stream, so the
// committed test fixtures, with their fixed dates, are no use for a live demo. The shapes are
// an Okta event hook, a Kubernetes EventList, CloudTrail Records, a GitHub audit-log array and
// a generic JSON array.
func (g *Generator) Webhooks(n int) ([]WebhookRequest, error) {
	if n < 1 {
		return nil, fmt.Errorf("events per request: must be at least 1, got %d", n)
	}
	build := map[string]func(n int) (any, []string){
		WebhookOkta:       g.oktaHook,
		WebhookKubernetes: g.kubernetesEventList,
		WebhookCloudTrail: g.cloudTrailRecords,
		WebhookGitHub:     g.gitHubAuditLog,
		WebhookGeneric:    g.genericEvents,
	}
	out := make([]WebhookRequest, 0, len(WebhookKinds))
	for _, kind := range WebhookKinds {
		body, ids := build[kind](n)
		data, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
		out = append(out, WebhookRequest{Kind: kind, Path: "/webhook/" + kind, Body: data, EventIDs: ids})
	}
	return out, nil
}

// stamp is the time of the next webhook event: now, up to a second earlier.
func (g *Generator) stamp() time.Time {
	g.seq++
	return g.now().Add(-time.Duration(g.rng.IntN(1000)) * time.Millisecond)
}

// oktaHook is the envelope Okta event hooks POST: System Log events under data.events.
func (g *Generator) oktaHook(n int) (any, []string) {
	events := make([]any, 0, n)
	ids := make([]string, 0, n)
	for range n {
		ev, id := g.oktaEvent(g.stamp())
		events = append(events, ev)
		ids = append(ids, id)
	}
	return map[string]any{
		"eventType":          "com.okta.event_hook",
		"eventTypeVersion":   "1.0",
		"cloudEventsVersion": "0.1",
		"source":             "https://example.okta.com/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3",
		"eventId":            g.uuid(),
		"eventTime":          g.now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"contentType":        "application/json",
		"data":               map[string]any{"events": events},
	}, ids
}

// kubernetesEventList is the batch the kube-apiserver audit webhook backend POSTs.
func (g *Generator) kubernetesEventList(n int) (any, []string) {
	items := make([]any, 0, n)
	ids := make([]string, 0, n)
	for range n {
		ev, id := g.kubernetesEvent(g.stamp())
		// Items of a list carry no kind and apiVersion of their own.
		delete(ev, "kind")
		delete(ev, "apiVersion")
		items = append(items, ev)
		ids = append(ids, id)
	}
	return map[string]any{"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": map[string]any{}, "items": items}, ids
}

// cloudTrailRecords is the shape of a CloudTrail log file, as a forwarding function posts it.
func (g *Generator) cloudTrailRecords(n int) (any, []string) {
	records := make([]any, 0, n)
	ids := make([]string, 0, n)
	for range n {
		rec, id := g.cloudTrailRecord(g.stamp())
		records = append(records, rec)
		ids = append(ids, id)
	}
	return map[string]any{"Records": records}, ids
}

// gitHubAuditLog is an array of GitHub Enterprise audit-log entries, as a script reading the
// audit-log API posts them.
func (g *Generator) gitHubAuditLog(n int) (any, []string) {
	actions := []string{"org.add_member", "org.remove_member", "repo.create", "repo.access", "team.add_member", "org.update_member_repository_creation_permission"}
	entries := make([]any, 0, n)
	ids := make([]string, 0, n)
	for range n {
		ts := g.stamp().UnixMilli()
		_, _, actor := g.user("github")
		_, _, member := g.user("github")
		id := g.documentID()
		action := g.pick(actions)
		entry := map[string]any{
			"@timestamp":     ts,
			"_document_id":   id,
			"action":         action,
			"actor":          actor,
			"actor_id":       int64(100000 + g.rng.IntN(900000)),
			"actor_ip":       g.ip(),
			"actor_location": map[string]any{"country_code": "IE"},
			"business":       "acme",
			"created_at":     ts,
			"operation_type": "modify",
			"org":            "acme-corp",
			"user_agent":     g.pick(userAgents),
		}
		switch action {
		case "repo.create", "repo.access":
			entry["repo"] = "acme-corp/" + g.pick([]string{"lms-web", "lms-api", "payments", "infra"})
			entry["visibility"] = "private"
		default:
			entry["user"] = member
		}
		entries = append(entries, entry)
		ids = append(ids, id)
	}
	return entries, ids
}

// genericEvents is an array of events from an in-house application, with the conventional
// field names the normaliser's generic profile reads without configuration.
func (g *Generator) genericEvents(n int) (any, []string) {
	events := make([]any, 0, n)
	ids := make([]string, 0, n)
	for range n {
		ts := g.stamp()
		email, uid, _ := g.user("generic")
		id := fmt.Sprintf("gen-webhook-%08d-%04x", g.seq, g.rng.Uint32()&0xffff)
		event, outcome, target := "user.login", "success", ""
		switch r := g.rng.IntN(10); {
		case r < 2:
			outcome = "failure"
		case r < 5:
			event, target = "course.enrolled", g.pick(courses)
		case r < 7:
			event, target = "settings.updated", g.pick(settings)
		}
		ev := map[string]any{
			"event_type": event,
			"timestamp":  ts.UTC().Format(time.RFC3339Nano),
			"actor":      map[string]any{"email": email, "id": uid},
			"outcome":    outcome,
			"ip":         g.ip(),
			"user_agent": g.pick(userAgents),
			"event_id":   id,
		}
		if target != "" {
			ev["target"] = target
		}
		events = append(events, ev)
		ids = append(ids, id)
	}
	return events, ids
}

// documentID is shaped like GitHub's audit-log _document_id: 22 URL-safe characters.
func (g *Generator) documentID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, 22)
	for i := range b {
		b[i] = alphabet[g.rng.IntN(len(alphabet))]
	}
	return string(b)
}
