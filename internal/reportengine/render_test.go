package reportengine

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportrender"
)

// rows is a Scanner over a fixed list, filtered by tenant and period as a source is.
type rows []audit.Row

func (rs rows) Scan(_ context.Context, tenant string, from, to time.Time, fn func(audit.Row) error) error {
	for _, r := range rs {
		if r.Tenant == tenant && !r.Time.Before(from) && r.Time.Before(to) {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

func sample() rows {
	return rows{
		{Time: t0, Tenant: "acme", EventID: "e1", Author: "alice", Category: "Authentication", Summary: "Login", Outcome: "success"},
		{Time: t0.Add(time.Minute), Tenant: "acme", EventID: "e2", Author: "bob", Category: "Users", Summary: "User created", Outcome: "failure"},
		{Time: t0.Add(2 * time.Minute), Tenant: "globex", EventID: "g1", Author: "carol"},
		{Time: t0.Add(3 * time.Minute), Tenant: "acme", EventID: "e3", Author: "ALICE", Category: "Authentication", Summary: "Login", Outcome: "failure"},
	}
}

func input(src Scanner) Input {
	return Input{Source: src, Tenant: "acme", From: t0, To: t0.Add(time.Hour)}
}

func csvRows(t *testing.T, b []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, recs)
	return recs[1:]
}

// TestRenderWritesEveryOutputInOneScan: each output holds the tenant's kept rows; size and
// digest are those of the file on disk; nothing is left under .part.
func TestRenderWritesEveryOutputInOneScan(t *testing.T) {
	dir := t.TempDir()
	in := input(sample())
	in.Match = NewMatcher(Filters{Authors: []string{"alice"}})
	var scanned []time.Time
	in.Scanned = func(at time.Time) { scanned = append(scanned, at) }
	res, err := Render(context.Background(), in,
		Output{Path: filepath.Join(dir, "r.csv"), Name: "r.csv", Format: reportrender.FormatCSV},
		Output{Path: filepath.Join(dir, "stored-as-id"), Name: "r.csv.gz", Format: reportrender.FormatCSV, Compression: reportrender.CompressionGzip},
		Output{Path: filepath.Join(dir, "r.xlsx"), Name: "r.xlsx", Format: reportrender.FormatXLSX},
	)
	require.NoError(t, err)
	assert.Equal(t, int64(2), res.Rows, "alice, case folded, in acme only")
	assert.Equal(t, t0, res.First)
	assert.Equal(t, t0.Add(3*time.Minute), res.Last)
	assert.Len(t, scanned, 3, "progress sees every row of the tenant, kept or not")
	require.Len(t, res.Files, 3)
	for _, f := range res.Files {
		b, err := os.ReadFile(f.Path)
		require.NoError(t, err)
		sum := sha256.Sum256(b)
		assert.Equal(t, hex.EncodeToString(sum[:]), f.SHA256, f.Name)
		assert.Equal(t, int64(len(b)), f.Size, f.Name)
	}
	plain, err := os.ReadFile(res.Files[0].Path)
	require.NoError(t, err)
	got := csvRows(t, plain)
	require.Len(t, got, 2)
	assert.Equal(t, "e1", got[0][8])
	assert.Equal(t, "e3", got[1][8])

	gz, err := os.ReadFile(res.Files[1].Path)
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err)
	assert.Equal(t, "r.csv", zr.Name, "the entry is named without the compression suffix")
	inner, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, plain, inner)
	assert.Equal(t, "csv.gz", res.Files[1].FullFormat())
	assert.Equal(t, "application/gzip", res.Files[1].ContentType())

	parts, err := filepath.Glob(filepath.Join(dir, "*.part"))
	require.NoError(t, err)
	assert.Empty(t, parts)
}

// TestRenderFailureLeavesNoFile: an error from the Row hook (a row limit) or the source ends
// the render, and no output is left, under its name or as .part.
func TestRenderFailureLeavesNoFile(t *testing.T) {
	limit := errors.New("too many rows")
	for name, in := range map[string]Input{
		"row hook": func() Input {
			in := input(sample())
			in.Row = func(r *audit.Row) error {
				if r.EventID == "e2" {
					return limit
				}
				return nil
			}
			return in
		}(),
		"source": input(failing{rows: sample(), err: limit}),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Render(context.Background(), in,
				Output{Path: filepath.Join(dir, "r.csv"), Name: "r.csv", Format: reportrender.FormatCSV},
				Output{Path: filepath.Join(dir, "r.xlsx"), Name: "r.xlsx", Format: reportrender.FormatXLSX})
			require.ErrorIs(t, err, limit)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Empty(t, entries)
		})
	}
}

// failing yields its rows, then err.
type failing struct {
	rows rows
	err  error
}

func (f failing) Scan(ctx context.Context, tenant string, from, to time.Time, fn func(audit.Row) error) error {
	if err := f.rows.Scan(ctx, tenant, from, to, fn); err != nil {
		return err
	}
	return f.err
}

func TestRenderStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	_, err := Render(ctx, input(sample()), Output{Path: filepath.Join(dir, "r.csv"), Name: "r.csv", Format: reportrender.FormatCSV})
	require.ErrorIs(t, err, context.Canceled)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// TestDescribeAndSeal: the manifest describes the file as written, verifies against it, and
// sealing links, signs and writes it.
func TestDescribeAndSeal(t *testing.T) {
	dir := t.TempDir()
	res, err := Render(context.Background(), input(sample()),
		Output{Path: filepath.Join(dir, "stored"), Name: "r.csv.gz", Format: reportrender.FormatCSV, Compression: reportrender.CompressionGzip})
	require.NoError(t, err)
	m := &manifest.Manifest{Kind: manifest.KindReport, Report: "daily", Tenant: "acme", Period: &manifest.Period{From: t0, To: t0.Add(time.Hour)}}
	require.NoError(t, Describe(m, &res, &res.Files[0]))
	assert.Equal(t, "csv.gz", m.Format)
	assert.Equal(t, int64(3), m.Rows)
	assert.Equal(t, t0, *m.FirstEvent)
	assert.NotEmpty(t, m.RowsDigest, "the rows digest of a compressed CSV")
	require.NoError(t, m.CheckFile(res.Files[0].Path))

	signer, err := manifest.NewSigner(map[string]string{"k1": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="}, "k1")
	require.NoError(t, err)
	path := filepath.Join(dir, "stored"+manifest.Suffix)
	digest, err := Seal(path, m, "abc123", signer, t0.Add(2*time.Hour))
	require.NoError(t, err)
	back, gotDigest, err := manifest.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, digest, gotDigest)
	assert.Equal(t, "abc123", back.Previous())
	assert.Equal(t, "k1", back.Key())
	keys, err := signer.PublicKeys().KeySet()
	require.NoError(t, err)
	require.NoError(t, manifest.Verify(back, keys))

	// Sealed again as a chain start, unsigned: the old signature goes.
	_, err = Seal(path, m, "", nil, t0.Add(3*time.Hour))
	require.NoError(t, err)
	back, _, err = manifest.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, back.ChainStart)
	assert.Nil(t, back.Signature)
}

func TestDescribeWithoutRows(t *testing.T) {
	dir := t.TempDir()
	in := input(sample())
	in.Tenant = "initech"
	res, err := Render(context.Background(), in, Output{Path: filepath.Join(dir, "r.xlsx"), Name: "r.xlsx", Format: reportrender.FormatXLSX})
	require.NoError(t, err)
	m := &manifest.Manifest{Kind: manifest.KindReport, Tenant: "initech"}
	require.NoError(t, Describe(m, &res, &res.Files[0]))
	assert.Zero(t, m.Rows)
	assert.Nil(t, m.FirstEvent)
	assert.Empty(t, m.RowsDigest, "no rows digest outside CSV")
}
