package auditnormalizerprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// genericProfile reads each fact from the first path of its list that holds a value. With
// generic::event_name configured, every list is the one configured path; without it, the
// lists are the field names in-house audit events commonly use, so that JSON posted to the
// generic webhook maps without configuration.
type genericProfile struct {
	eventName, author, authorID, outcome, target, clientAddr, userAgent, tenant, eventID, time paths
	conventional                                                                               bool
}

type paths []fieldPath

func (ps paths) get(m pcommon.Map) (pcommon.Value, bool) {
	for _, p := range ps {
		if v, ok := p.get(m); ok && hasString(v) {
			return v, true
		}
	}
	return pcommon.Value{}, false
}

// getAny is get for values of any type: an outcome may arrive as an object.
func (ps paths) getAny(m pcommon.Map) (pcommon.Value, bool) {
	for _, p := range ps {
		if v, ok := p.get(m); ok && stated(v) {
			return v, true
		}
	}
	return pcommon.Value{}, false
}

func (ps paths) str(m pcommon.Map) string {
	if v, ok := ps.get(m); ok {
		return valueString(v)
	}
	return ""
}

func compilePaths(configured string, conventional bool, names ...string) paths {
	if !conventional {
		if configured == "" {
			return nil
		}
		return paths{compilePath(configured)}
	}
	ps := make(paths, len(names))
	for i, n := range names {
		ps[i] = compilePath(n)
	}
	return ps
}

func newGenericProfile(cfg GenericConfig) *genericProfile {
	conv := cfg.EventName == ""
	return &genericProfile{
		conventional: conv,
		eventName:    compilePaths(cfg.EventName, conv, "event_type", "eventType", "event_name", "eventName", "event", "action", "activity", "operation", "type"),
		author:       compilePaths(cfg.Author, conv, "actor.email", "actor.login", "actor.username", "actor.name", "actor", "user.email", "user.username", "user.login", "user.name", "user", "username", "email", "principal"),
		authorID:     compilePaths(cfg.AuthorID, conv, "actor.id", "actor_id", "actorId", "user.id", "user_id", "userId"),
		outcome:      compilePaths(cfg.Outcome, conv, "outcome", "result", "status", "success"),
		target:       compilePaths(cfg.Target, conv, "target.name", "target.id", "target", "resource.name", "resource.id", "resource", "object"),
		clientAddr:   compilePaths(cfg.ClientAddress, conv, "ip", "ip_address", "ipAddress", "source_ip", "sourceIp", "client_ip", "clientIp", "client.ip", "remote_addr"),
		userAgent:    compilePaths(cfg.UserAgent, conv, "user_agent", "userAgent"),
		tenant:       compilePaths(cfg.Tenant, conv, "tenant", "tenant_id", "tenantId"),
		eventID:      compilePaths(cfg.EventID, conv, "event_id", "eventId", "uuid", "id"),
		time:         compilePaths(cfg.Time, conv, "timestamp", "time", "@timestamp", "occurred_at", "created_at", "eventTime"),
	}
}

// detect: a configured event-name path that exists; conventionally, an event name together
// with an author or an id, so that arbitrary JSON (a log line with a "type") is not taken for
// an audit event.
func (g *genericProfile) detect(m pcommon.Map) bool {
	if _, ok := g.eventName.get(m); !ok {
		return false
	}
	if !g.conventional {
		return true
	}
	_, hasAuthor := g.author.get(m)
	_, hasID := g.eventID.get(m)
	return hasAuthor || hasID
}

func (g *genericProfile) extract(m pcommon.Map, _ plog.LogRecord, ev *event) {
	ev.name = g.eventName.str(m)
	ev.author = g.author.str(m)
	ev.authorID = g.authorID.str(m)
	if o, ok := g.outcome.getAny(m); ok {
		ev.setOutcome(o)
	}
	ev.target = g.target.str(m)
	ev.clientAddr = ipOnly(g.clientAddr.str(m))
	ev.userAgent = g.userAgent.str(m)
	ev.tenant = g.tenant.str(m)
	ev.eventID = g.eventID.str(m)
	if t, ok := g.time.get(m); ok {
		ev.times[0], ev.timeCount = t, 1
	}
}
