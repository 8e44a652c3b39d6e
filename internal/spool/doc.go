// Package spool is the durable, embedded store the audit report exporter renders from.
//
// It is a single bbolt file (a copy-on-write B+tree with fsync on commit, crash-safe under
// kill -9 and power loss) rather than append-only segment files: bbolt gives ordered keys,
// atomic multi-bucket transactions and a crash-consistent file for free, so appends,
// time-range scans and retention are each one transaction instead of an index plus a log to
// keep in step.
//
// Layout (bucket names in quotes), file format version 2:
//
//	"events"  / <tenant> / <UTC day "2006-01-02"> : timestamp(8 bytes, big-endian, sign-flipped) + event id -> row
//	"dedup"   / <tenant> : event id -> timestamp(8 bytes), for every event moved out of staging
//	"staging" / <tenant> : sequence(8 bytes, big-endian) -> day, key and row of an event not yet in its day
//	"meta"    / <namespace> : key -> value   (the exporter's run ledger and bookkeeping)
//	"format"  : "version" -> "2"
//
// Events are partitioned by tenant and by UTC day, so a report scan touches only its
// tenant's days and retention drops whole day buckets. Tenant ids and event ids are bucket
// keys, never file names.
//
// Durability: Append returns only after the transaction holding the events is committed and
// fsynced. Concurrent Append calls are coalesced into one transaction and one fsync (group
// commit): while a commit runs, new calls queue, and the next commit takes them all.
// Options.MaxBatchDelay makes a commit wait that long for more calls before it starts; zero,
// the default, starts at once.
//
// Write cost: an Append adds its events to the end of the tenant's staging bucket, in
// arrival order, so that a commit writes a few pages whatever the events' times and ids.
// Keyed by time, events that arrive out of order (senders batch, webhooks redeliver, clocks
// differ) would each dirty a page somewhere in the recent part of their day; keyed by id,
// which is random, each entry of the id index would dirty its own page. Staged events move
// to the id index, sorted by id, and to their days, sorted by time, in a compaction per
// tenant (see stage.go) every 65,536 events, before a Scan or an Expire, and on Close: a
// page is then written once for all the events of a compaction that fall in it. With an
// index far larger than a compaction (tens of millions of ids), most of its ids still fall
// in pages of their own; the writes then leave the Append path but are not fewer.
//
// Deduplication: an event id is stored once per tenant for as long as its day is retained;
// a re-delivered event is counted as a duplicate and not stored again. Append looks an id
// up among the staged ids, held in memory, then in "dedup" on disk (a read through the
// file's mapping: no page is written).
//
// Memory is bounded whatever the retention: the staged ids, about 20 bytes of heap each
// (a 64-bit fingerprint and a staging sequence; up to about 40 bytes just after a map
// grows), for at most 4 x 65,536 staged events of all tenants plus the commits in progress
// when a compaction falls due, i.e. about 5-10 MiB; a compaction's sort buffer, 64 bytes
// per staged event of one tenant (4-16 MiB); and the pages a compaction transaction
// changes, bounded at about 70 MiB (8,192 pages) by splitting a compaction into several
// transactions. Open reads the staged events only, at about 2 µs each.
//
// Version 1 files (no "format" bucket) open as version 2 without rewriting anything: their
// "dedup" bucket is version 2's id index, with nothing staged. The migration is one-way: a
// version 1 build would open a version 2 file but would not see events still staged by a
// crash (Close moves them to their days), nor deduplicate against them.
package spool
