package manifest

import (
	"cmp"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Problem kinds the chain walker reports; a fixed set, so that scripts can match them.
const (
	ProblemUnreadable  = "unreadable"    // the manifest cannot be read or parsed
	ProblemSignature   = "bad-signature" // the signature does not verify
	ProblemUnknownKey  = "unknown-key"   // signed by a key not in the key set
	ProblemUnsigned    = "unsigned"      // no signature while keys were given
	ProblemCrossChain  = "cross-chain"   // another tenant's, report's or kind's manifest
	ProblemGap         = "gap"           // a period between two manifests is missing
	ProblemOverlap     = "overlap"       // two manifests cover overlapping periods
	ProblemBrokenLink  = "broken-link"   // previous_digest matches no manifest in the folder
	ProblemReordered   = "reordered"     // previous_digest names another manifest than the one before
	ProblemRestart     = "restart"       // a chain_start manifest after the first one
	ProblemOpenStart   = "open-start"    // the first manifest is no chain start
	ProblemForked      = "forked"        // two manifests name the same previous one
	ProblemUnexpected  = "unexpected"    // the period does not follow the expected schedule
	ProblemEmptyFolder = "empty"         // no manifest at all
)

// Entry is one manifest of a chain with where it came from.
type Entry struct {
	Name     string
	Manifest *Manifest
	Digest   string
}

// Problem is one finding of the walker.
type Problem struct {
	Kind string
	// Name is the manifest the problem is found at ("" when it concerns the folder).
	Name   string
	Detail string
}

func (p Problem) String() string {
	if p.Name == "" {
		return p.Kind + ": " + p.Detail
	}
	return p.Kind + ": " + p.Name + ": " + p.Detail
}

// WalkOptions tunes Walk.
type WalkOptions struct {
	// Keys verifies every signature when not nil.
	Keys map[string]ed25519.PublicKey
	// NextFrom, when set, returns the start of the period that follows a period ending at
	// to, for a schedule whose periods do not abut (a window shorter than the schedule's
	// interval). Without it, a period must start where the previous one ended.
	NextFrom func(to time.Time) time.Time
	// OpenStart accepts a first manifest that links to one outside the folder, for a folder
	// that holds the later part of a chain.
	OpenStart bool
}

// LoadDir reads every *.manifest.json in dir. Unreadable manifests are returned as problems.
func LoadDir(dir string) ([]Entry, []Problem, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	var entries []Entry
	var problems []Problem
	for _, de := range des {
		if de.IsDir() || !strings.HasSuffix(de.Name(), Suffix) {
			continue
		}
		m, digest, err := ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			problems = append(problems, Problem{Kind: ProblemUnreadable, Name: de.Name(), Detail: err.Error()})
			continue
		}
		entries = append(entries, Entry{Name: de.Name(), Manifest: m, Digest: digest})
	}
	return entries, problems, nil
}

func periodOf(m *Manifest) (from, to time.Time) {
	if m.Period != nil {
		return m.Period.From, m.Period.To
	}
	if m.Export != nil {
		return m.Export.From, m.Export.To
	}
	return time.Time{}, time.Time{}
}

func span(m *Manifest) string {
	from, to := periodOf(m)
	return from.UTC().Format(time.RFC3339) + " to " + to.UTC().Format(time.RFC3339)
}

// Walk orders one report's manifests by period and names every gap: a missing period, a
// broken or reordered link, a replaced manifest, a restart, a bad or unknown signature and
// a manifest of another tenant or report. Each file format is a chain of its own; a
// chain's tenant and report are those of its earliest manifest. No problems means every
// chain is whole.
func Walk(entries []Entry, opts WalkOptions) []Problem {
	if len(entries) == 0 {
		return []Problem{{Kind: ProblemEmptyFolder, Detail: "no manifest to walk"}}
	}
	byFormat := map[string][]Entry{}
	var formats []string
	for _, e := range entries {
		f := e.Manifest.Format
		if _, ok := byFormat[f]; !ok {
			formats = append(formats, f)
		}
		byFormat[f] = append(byFormat[f], e)
	}
	slices.Sort(formats)
	var problems []Problem
	for _, f := range formats {
		problems = append(problems, walkChain(byFormat[f], entries, opts)...)
	}
	return problems
}

// walkChain walks the manifests of one format; all holds every manifest, to tell a link
// into another chain from a link to nothing.
func walkChain(entries, all []Entry, opts WalkOptions) []Problem {
	var problems []Problem
	add := func(kind, name, format string, args ...any) {
		problems = append(problems, Problem{Kind: kind, Name: name, Detail: fmt.Sprintf(format, args...)})
	}
	entries = slices.Clone(entries)
	slices.SortStableFunc(entries, func(a, b Entry) int {
		af, at := periodOf(a.Manifest)
		bf, bt := periodOf(b.Manifest)
		return cmp.Or(af.Compare(bf), at.Compare(bt), strings.Compare(a.Name, b.Name))
	})
	first := entries[0].Manifest
	byDigest := map[string]Entry{}
	linkedFrom := map[string]string{}
	var chain []Entry
	for _, e := range entries {
		m := e.Manifest
		if m.Kind != first.Kind || m.Tenant != first.Tenant || m.Report != first.Report || m.Format != first.Format {
			add(ProblemCrossChain, e.Name, "kind %s, report %q, tenant %q, format %q; the chain is kind %s, report %q, tenant %q, format %q",
				m.Kind, m.Report, m.Tenant, m.Format, first.Kind, first.Report, first.Tenant, first.Format)
			continue
		}
		if opts.Keys != nil {
			if err := Verify(m, opts.Keys); err != nil {
				switch {
				case errors.Is(err, ErrUnsigned):
					add(ProblemUnsigned, e.Name, "no signature")
				case errors.Is(err, ErrUnknownKey):
					add(ProblemUnknownKey, e.Name, "signed with key %q, which is not among the published keys", m.Key())
				default:
					add(ProblemSignature, e.Name, "the signature does not verify with key %q: the manifest was altered", m.Key())
				}
			}
		}
		byDigest[e.Digest] = e
		if p := m.Previous(); p != "" {
			if other, ok := linkedFrom[p]; ok {
				add(ProblemForked, e.Name, "links to the same previous manifest as %s", other)
			}
			linkedFrom[p] = e.Name
		}
		chain = append(chain, e)
	}
	// Links that lead out of this chain, to another tenant's or report's manifest.
	for _, e := range entries {
		if p := e.Manifest.Previous(); p != "" {
			if _, in := byDigest[p]; !in && slices.ContainsFunc(all, func(o Entry) bool { return o.Digest == p }) {
				add(ProblemCrossChain, e.Name, "previous_digest names a manifest of another chain")
			}
		}
	}
	for i, e := range chain {
		m := e.Manifest
		from, _ := periodOf(m)
		if i == 0 {
			if !m.ChainStart && !opts.OpenStart {
				if _, ok := byDigest[m.Previous()]; !ok {
					add(ProblemOpenStart, e.Name, "the earliest manifest (%s) links to %s, which is not in the folder: earlier periods are missing", span(m), m.Previous())
				}
			}
			continue
		}
		prev := chain[i-1]
		_, prevTo := periodOf(prev.Manifest)
		wantFrom := prevTo
		if opts.NextFrom != nil {
			wantFrom = opts.NextFrom(prevTo)
		}
		switch {
		case from.Equal(wantFrom):
		case from.After(wantFrom):
			add(ProblemGap, e.Name, "no manifest for %s to %s, between %s and this one", wantFrom.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339), prev.Name)
		case from.Before(prevTo):
			add(ProblemOverlap, e.Name, "covers %s, which overlaps %s of %s: a period was delivered twice or replaced", span(m), span(prev.Manifest), prev.Name)
		default:
			add(ProblemUnexpected, e.Name, "starts at %s, the schedule expects %s", from.UTC().Format(time.RFC3339), wantFrom.UTC().Format(time.RFC3339))
		}
		switch p := m.Previous(); {
		case m.ChainStart:
			add(ProblemRestart, e.Name, "starts a new chain after %s: the chain state was lost or reset", prev.Name)
		case p == prev.Digest:
		default:
			if other, ok := byDigest[p]; ok {
				add(ProblemReordered, e.Name, "links to %s (%s), not to the period before it, %s (%s)", other.Name, span(other.Manifest), prev.Name, span(prev.Manifest))
			} else {
				add(ProblemBrokenLink, e.Name, "previous_digest %s matches no manifest in the folder: the manifest before it (after %s) is missing or was replaced", p, prev.Name)
			}
		}
	}
	return problems
}
