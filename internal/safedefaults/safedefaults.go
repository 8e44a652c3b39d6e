// Package safedefaults is a confmap converter that refuses a configuration which listens beyond
// loopback while it still holds a demo secret. The bundled config ships demo tokens and keys so
// that `make run` works at once on loopback; exposing them would let anyone write, export and
// sign as the demo identity. Component-specific rules (an unauthenticated webhook endpoint or
// export API beyond loopback) live in the components' Validate.
package safedefaults

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/confmap"
)

// DemoMarker is part of every demo secret the project ships; no real secret contains it.
const DemoMarker = "change-me"

type converter struct{}

// NewFactory returns the converter's factory, for the distribution's builder config.
func NewFactory() confmap.ConverterFactory {
	return confmap.NewConverterFactory(func(confmap.ConverterSettings) confmap.Converter { return converter{} })
}

// Convert changes nothing; it fails when a listener is exposed and a demo secret is set.
func (converter) Convert(_ context.Context, conf *confmap.Conf) error {
	return Check(conf.ToStringMap())
}

// Check applies the rule to a raw configuration map.
func Check(raw map[string]any) error {
	var listeners, secrets []string
	walk(raw, nil, func(path []string, v string) {
		key := path[len(path)-1]
		if key == "endpoint" && len(path) >= 2 && isListener(path) && !Loopback(v) {
			listeners = append(listeners, strings.Join(path, "::")+" ("+v+")")
		}
		if strings.Contains(v, DemoMarker) {
			secrets = append(secrets, strings.Join(path, "::"))
		}
	})
	if len(listeners) == 0 || len(secrets) == 0 {
		return nil
	}
	sort.Strings(listeners)
	sort.Strings(secrets)
	return fmt.Errorf("%s: a demo secret is configured while %s listens beyond loopback: set your own secret (for example OTELCOL_AUDIT_TOKEN and OTELCOL_AUDIT_LINK_KEY) or listen on 127.0.0.1",
		strings.Join(secrets, ", "), strings.Join(listeners, ", "))
}

// isListener tells a server endpoint (receivers, extensions such as health_check and the
// audit_reporter's links server, an exporter's server section) from a client endpoint (an
// exporter's Loki URL; the audit_reporter's SMTP server and Loki source).
func isListener(path []string) bool {
	switch path[0] {
	case "receivers":
		return true
	case "extensions":
		return len(path) < 4 || !clientSections[path[2]]
	case "exporters":
		return len(path) >= 3 && path[len(path)-2] == "server"
	}
	return false
}

// clientSections are the sections of an extension whose endpoint it connects to.
var clientSections = map[string]bool{"smtp": true, "source": true}

// Loopback reports whether a listen address binds to loopback only. An empty host (":4317")
// or 0.0.0.0 binds every interface. Components use it for their own exposure rules.
func Loopback(endpoint string) bool {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		host = endpoint
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func walk(v any, path []string, fn func(path []string, s string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			walk(e, append(append([]string(nil), path...), k), fn)
		}
	case []any:
		for i, e := range t {
			walk(e, append(append([]string(nil), path...), fmt.Sprint(i)), fn)
		}
	case string:
		if len(path) > 0 {
			fn(path, t)
		}
	}
}
