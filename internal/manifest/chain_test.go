package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildChain writes days 1..n of tenant's daily report, each linked to the one before and
// signed by s, and returns their manifest paths by day.
func buildChain(t *testing.T, dir string, s *Signer, tenant string, n int) map[int]string {
	t.Helper()
	paths := map[int]string{}
	prev := ""
	for day := 1; day <= n; day++ {
		m := reportManifest(t, dir, tenant, day, fmt.Sprintf("%s day %d\n", tenant, day))
		m.Link(prev)
		require.NoError(t, s.Sign(m))
		path := filepath.Join(dir, m.File.Name+Suffix)
		d, err := WriteFile(path, m)
		require.NoError(t, err)
		paths[day], prev = path, d
	}
	return paths
}

func walkDir(t *testing.T, dir string, s *Signer) []Problem {
	t.Helper()
	entries, problems, err := LoadDir(dir)
	require.NoError(t, err)
	return append(problems, Walk(entries, WalkOptions{Keys: keySet(t, s)})...)
}

func kinds(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Kind)
	}
	return out
}

func TestChainWhole(t *testing.T) {
	dir := t.TempDir()
	s := testSigner(t, "k1", "k1")
	buildChain(t, dir, s, "acme", 5)
	assert.Empty(t, walkDir(t, dir, s))
}

func TestChainDeletedPeriodIsNamed(t *testing.T) {
	dir := t.TempDir()
	s := testSigner(t, "k1", "k1")
	paths := buildChain(t, dir, s, "acme", 5)
	require.NoError(t, os.Remove(paths[3]))
	ps := walkDir(t, dir, s)
	assert.ElementsMatch(t, []string{ProblemGap, ProblemBrokenLink}, kinds(ps))
	for _, p := range ps {
		assert.Equal(t, "daily_acme_2026-01-04.csv"+Suffix, p.Name)
	}
	assert.Contains(t, ps[0].String()+ps[1].String(), "2026-01-03T00:00:00Z to 2026-01-04T00:00:00Z")
}

func TestChainFirstPeriodDeletedIsNamed(t *testing.T) {
	dir := t.TempDir()
	s := testSigner(t, "k1", "k1")
	paths := buildChain(t, dir, s, "acme", 3)
	require.NoError(t, os.Remove(paths[1]))
	assert.Equal(t, []string{ProblemOpenStart}, kinds(walkDir(t, dir, s)))
	entries, _, err := LoadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, Walk(entries, WalkOptions{OpenStart: true}), "accepted when the folder is known to start mid-chain")
}

func TestChainReplacedPeriodIsNamed(t *testing.T) {
	dir := t.TempDir()
	s := testSigner(t, "k1", "k1")
	paths := buildChain(t, dir, s, "acme", 4)

	// Re-signed with the real key, but with other content: the next link breaks.
	m, _, err := ReadFile(paths[2])
	require.NoError(t, err)
	m.Rows = 1
	require.NoError(t, s.Sign(m))
	_, err = WriteFile(paths[2], m)
	require.NoError(t, err)
	ps := walkDir(t, dir, s)
	require.Equal(t, []string{ProblemBrokenLink}, kinds(ps))
	assert.Equal(t, "daily_acme_2026-01-03.csv"+Suffix, ps[0].Name)

	// Replaced by one signed with a key nobody published.
	rogue := testSigner(t, "k1", "k0", "k1")
	require.NoError(t, rogue.Sign(m))
	_, err = WriteFile(paths[2], m)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{ProblemSignature, ProblemBrokenLink}, kinds(walkDir(t, dir, s)))
	m.KeyID = new(string)
	*m.KeyID = "k7"
	require.NoError(t, os.WriteFile(paths[2], mustMarshal(t, m), 0o600))
	assert.Contains(t, kinds(walkDir(t, dir, s)), ProblemUnknownKey)

	// Replaced by a copy of another period's manifest.
	b, err := os.ReadFile(paths[1])
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(paths[2], b, 0o600))
	ps = walkDir(t, dir, s)
	assert.Contains(t, kinds(ps), ProblemOverlap)
	assert.Contains(t, kinds(ps), ProblemGap)
}

func mustMarshal(t *testing.T, m *Manifest) []byte {
	t.Helper()
	b, err := m.Marshal()
	require.NoError(t, err)
	return b
}

func TestChainReorderedPeriodsAreNamed(t *testing.T) {
	dir := t.TempDir()
	s := testSigner(t, "k1", "k1")
	// Day 3 was linked before day 2.
	var digests [4]string
	for _, day := range []int{1, 3, 2} {
		m := reportManifest(t, dir, "acme", day, fmt.Sprintf("day %d\n", day))
		prev := ""
		switch day {
		case 3:
			prev = digests[1]
		case 2:
			prev = digests[3]
		}
		m.Link(prev)
		require.NoError(t, s.Sign(m))
		d, err := WriteFile(filepath.Join(dir, m.File.Name+Suffix), m)
		require.NoError(t, err)
		digests[day] = d
	}
	ps := walkDir(t, dir, s)
	assert.Equal(t, []string{ProblemReordered, ProblemReordered}, kinds(ps))
	assert.Contains(t, ps[0].String(), "daily_acme_2026-01-02.csv"+Suffix+": links to daily_acme_2026-01-03.csv"+Suffix)
}

func TestChainKeyRotation(t *testing.T) {
	dir := t.TempDir()
	old := testSigner(t, "k1", "k1")
	paths := buildChain(t, dir, old, "acme", 2)
	last, digest, err := ReadFile(paths[2])
	require.NoError(t, err)
	rotated := testSigner(t, "k2", "k1", "k2")
	m := reportManifest(t, dir, "acme", 3, "day 3\n")
	m.Link(digest)
	require.NoError(t, rotated.Sign(m))
	_, err = WriteFile(filepath.Join(dir, m.File.Name+Suffix), m)
	require.NoError(t, err)
	assert.Equal(t, "k1", last.Key())

	assert.Empty(t, walkDir(t, dir, rotated), "the published set keeps the old key")
	onlyNew := testSigner(t, "k2", "k2")
	onlyNew.keys["k2"] = rotated.keys["k2"]
	assert.Equal(t, []string{ProblemUnknownKey, ProblemUnknownKey}, kinds(walkDir(t, dir, onlyNew)), "without the old key, its manifests are named")
}

func TestChainCrossTenantIsNamed(t *testing.T) {
	dir := t.TempDir()
	s := testSigner(t, "k1", "k1")
	paths := buildChain(t, dir, s, "acme", 2)
	_, acmeDigest, err := ReadFile(paths[2])
	require.NoError(t, err)
	// A globex manifest linked into acme's chain.
	m := reportManifest(t, dir, "globex", 3, "globex day 3\n")
	m.Link(acmeDigest)
	require.NoError(t, s.Sign(m))
	_, err = WriteFile(filepath.Join(dir, m.File.Name+Suffix), m)
	require.NoError(t, err)
	ps := walkDir(t, dir, s)
	require.Equal(t, []string{ProblemCrossChain}, kinds(ps))
	assert.Contains(t, ps[0].Detail, `tenant "globex"`)
	assert.True(t, strings.HasPrefix(ps[0].Name, "daily_globex"))
}

func TestChainRestartIsNamed(t *testing.T) {
	dir := t.TempDir()
	s := testSigner(t, "k1", "k1")
	buildChain(t, dir, s, "acme", 2)
	m := reportManifest(t, dir, "acme", 3, "day 3\n")
	m.Link("")
	require.NoError(t, s.Sign(m))
	_, err := WriteFile(filepath.Join(dir, m.File.Name+Suffix), m)
	require.NoError(t, err)
	assert.Equal(t, []string{ProblemRestart}, kinds(walkDir(t, dir, s)))
}

func TestChainExpectedPeriods(t *testing.T) {
	dir := t.TempDir()
	s := testSigner(t, "k1", "k1")
	prev := ""
	for day := 1; day <= 3; day++ {
		m := reportManifest(t, dir, "acme", day, fmt.Sprintf("day %d\n", day))
		m.Period.To = m.Period.From.Add(time.Hour) // a one-hour window every day
		m.Link(prev)
		require.NoError(t, s.Sign(m))
		d, err := WriteFile(filepath.Join(dir, m.File.Name+Suffix), m)
		require.NoError(t, err)
		prev = d
	}
	entries, _, err := LoadDir(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{ProblemGap, ProblemGap}, kinds(Walk(entries, WalkOptions{})), "without the schedule, the hours between windows look missing")
	next := func(to time.Time) time.Time { return to.Add(23 * time.Hour) }
	assert.Empty(t, Walk(entries, WalkOptions{NextFrom: next}))
}
