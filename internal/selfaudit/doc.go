// Package selfaudit is the distribution's audit of itself: the event model for its own
// actions (exports requested, completed, failed, cancelled and downloaded; scheduled reports
// delivered) and the small interfaces through which components hand those events to the
// audit_events extension.
//
// The interfaces live here rather than in the extension so that no component imports
// another: the extension implements Emitter and Attacher, an emitting component (the report
// exporter, the export engine) looks the extension up with Find, and the audit_events
// receiver looks it up with FindAttacher, both by component id through host.GetExtensions(),
// as exporterhelper finds a storage extension.
package selfaudit // import "github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
