// Package spool is the durable, embedded store the audit report exporter renders from.
//
// It is a single bbolt file (a copy-on-write B+tree with fsync on commit, crash-safe under
// kill -9 and power loss) rather than append-only segment files: bbolt gives ordered keys,
// atomic multi-bucket transactions and a crash-consistent file for free, so deduplication,
// time-range scans and retention are each one transaction instead of an index plus a log to
// keep in step.
//
// Layout (bucket names in quotes):
//
//	"events" / <tenant> / <UTC day "2006-01-02"> : timestamp(8 bytes, big-endian, sign-flipped) + event id -> row
//	"dedup"  / <tenant> : event id -> timestamp(8 bytes)
//	"meta"   / <namespace> : key -> value   (the exporter's run ledger and bookkeeping)
//
// Events are partitioned by tenant and by UTC day, so a report scan touches only its
// tenant's days and retention drops whole day buckets. Tenant ids and event ids are bucket
// keys, never file names.
//
// Durability: Append returns only after the transaction holding the events is committed and
// fsynced. Concurrent Append calls are coalesced into one transaction and one fsync by bbolt's
// Batch (group commit), which is what keeps ingest throughput high with fsync on.
//
// Write cost: a stored event is one dedup lookup and two puts (row and dedup entry). Rows are
// keyed by time, so a commit appends them to the last pages of their day; dedup entries are
// keyed by event id, which is random, so in a large spool nearly every stored event dirties
// its own dedup page, and those page writes are most of a commit's cost.
//
// Deduplication: an event id is stored once per tenant for as long as its day is retained;
// a re-delivered event is counted as a duplicate and not stored again.
package spool
