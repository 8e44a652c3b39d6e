package auditreporterextension

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
)

func testSeed(b byte) configopaque.String {
	return configopaque.String(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)))
}

// saveDelivered writes the attached files and manifests of msgs into dir/<tenant>, the way
// an auditor files what arrived by mail, and returns the manifests by tenant in arrival order.
func saveDelivered(t *testing.T, dir string, msgs []sentMessage) map[string][]*manifest.Manifest {
	t.Helper()
	out := map[string][]*manifest.Manifest{}
	for _, msg := range msgs {
		for name, b := range msg.Manifests {
			m, err := manifest.Parse(b)
			require.NoError(t, err, name)
			td := filepath.Join(dir, m.Tenant)
			require.NoError(t, os.MkdirAll(td, 0o700))
			require.NoError(t, os.WriteFile(filepath.Join(td, name), b, 0o600))
			file, ok := msg.Files[m.File.Name]
			require.True(t, ok, "the file of %s is attached beside it", name)
			require.NoError(t, os.WriteFile(filepath.Join(td, m.File.Name), file, 0o600))
			require.NoError(t, m.CheckFile(filepath.Join(td, m.File.Name)))
			require.NoError(t, m.CheckRows(filepath.Join(td, m.File.Name)))
			out[m.Tenant] = append(out[m.Tenant], m)
		}
	}
	return out
}

// TestManifestChainSurvivesRestartAndRotation: day 1 is delivered under key k1; the
// reporter restarts on the same directory with k2 as the current key and delivers day 2,
// whose manifest links to day 1's. Each tenant has its own chain, and the published keys
// verify both days.
func TestManifestChainSurvivesRestartAndRotation(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{}
	cfg := dailyConfig(dir)
	cfg.Reports[0].Timezone = "UTC"
	cfg.Reports[0].Tenants = []string{"acme", "globex"}
	cfg.Signing = SigningConfig{Keys: map[string]configopaque.String{"k1": testSeed(1)}, CurrentKey: "k1"}
	h := startHarness(t, cfg, clock, sender)
	h.consume(mkEvent("acme", "a1", time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)),
		mkEvent("globex", "g1", time.Date(2026, 1, 1, 14, 0, 0, 0, time.UTC)))
	h.runAt(time.Date(2026, 1, 2, 0, 5, 0, 0, time.UTC))
	require.Len(t, sender.messages(), 2)
	h.stop()

	cfg.Signing = SigningConfig{Keys: map[string]configopaque.String{"k1": testSeed(1), "k2": testSeed(2)}, CurrentKey: "k2"}
	withLinks(t, cfg)
	h = startHarness(t, cfg, clock, sender)
	h.consume(mkEvent("acme", "a2", time.Date(2026, 1, 2, 13, 0, 0, 0, time.UTC)))
	h.runAt(time.Date(2026, 1, 3, 0, 5, 0, 0, time.UTC))
	msgs := sender.messages()
	require.Len(t, msgs, 4)

	status, body := get(t, "http://"+h.exp.serverAddr.String()+manifest.WellKnownPath)
	require.Equal(t, 200, status)
	var published manifest.PublicKeys
	require.NoError(t, json.Unmarshal(body, &published))
	require.Len(t, published.Keys, 2, "the old key stays published after the rotation")
	keys, err := published.KeySet()
	require.NoError(t, err)

	saved := t.TempDir()
	byTenant := saveDelivered(t, saved, msgs)
	for _, tenant := range []string{"acme", "globex"} {
		ms := byTenant[tenant]
		require.Len(t, ms, 2, tenant)
		assert.True(t, ms[0].ChainStart, "%s day 1 starts the chain", tenant)
		assert.Equal(t, "k1", ms[0].Key())
		assert.Equal(t, "k2", ms[1].Key())
		d1, err := ms[0].Digest()
		require.NoError(t, err)
		assert.Equal(t, d1, ms[1].Previous(), "%s day 2 links to day 1 across the restart", tenant)
		for _, m := range ms {
			require.NoError(t, manifest.Verify(m, keys))
			assert.Equal(t, tenant, m.Tenant)
		}
		entries, problems, err := manifest.LoadDir(filepath.Join(saved, tenant))
		require.NoError(t, err)
		require.Empty(t, problems)
		assert.Empty(t, manifest.Walk(entries, manifest.WalkOptions{Keys: keys}), tenant)
	}
	assert.Equal(t, int64(1), byTenant["acme"][1].Rows)
	assert.Equal(t, int64(0), byTenant["globex"][1].Rows)
	assert.Nil(t, byTenant["globex"][1].FirstEvent, "no first event in an empty period")

	// No link crosses tenants: all four manifests together still walk as two chains only
	// when taken per tenant.
	all := t.TempDir()
	for _, tenant := range []string{"acme", "globex"} {
		des, err := os.ReadDir(filepath.Join(saved, tenant))
		require.NoError(t, err)
		for _, de := range des {
			b, err := os.ReadFile(filepath.Join(saved, tenant, de.Name()))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(all, de.Name()), b, 0o600))
		}
	}
	entries, _, err := manifest.LoadDir(all)
	require.NoError(t, err)
	problems := manifest.Walk(entries, manifest.WalkOptions{Keys: keys})
	require.NotEmpty(t, problems)
	for _, p := range problems {
		assert.Equal(t, manifest.ProblemCrossChain, p.Kind, p.String())
		assert.Contains(t, p.Name, "globex")
	}

	// The message shows the manifest digest and key.
	last := msgs[3]
	for name, b := range last.Manifests {
		assert.Contains(t, last.Text, manifest.DigestOf(b), name)
		assert.Contains(t, last.HTML, manifest.DigestOf(b), name)
	}
	assert.Contains(t, last.Text, "Signed with key: k2")
	assert.Contains(t, msgs[0].Text, "Previous manifest: none, first of its chain")
}

// TestManifestChainFollowsSendOrderAfterAFailure: day 1 fails to send; day 2 waits for it,
// and the next pass sends both in order, chained.
func TestManifestChainFollowsSendOrderAfterAFailure(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{failures: []sendResult{{false, errors.New("550 mailbox unavailable")}}}
	cfg := dailyConfig(t.TempDir())
	cfg.Reports[0].Timezone = "UTC"
	cfg.MaxCatchUp = 5
	cfg.Signing = SigningConfig{Keys: map[string]configopaque.String{"k1": testSeed(1)}, CurrentKey: "k1"}
	h := startHarness(t, cfg, clock, sender)
	h.runAt(time.Date(2026, 1, 2, 0, 5, 0, 0, time.UTC))
	require.Empty(t, sender.messages())
	h.runAt(time.Date(2026, 1, 3, 0, 5, 0, 0, time.UTC))
	msgs := sender.messages()
	require.Len(t, msgs, 2)
	byTenant := saveDelivered(t, t.TempDir(), msgs)
	ms := byTenant["acme"]
	require.Len(t, ms, 2)
	assert.True(t, ms[0].Period.From.Before(ms[1].Period.From), "sent in period order")
	d1, err := ms[0].Digest()
	require.NoError(t, err)
	assert.Equal(t, d1, ms[1].Previous())
}

// TestManifestsAreLinkedWithTheirFiles: when files go as links, each manifest has its own
// signed link, and the download serves it byte for byte.
func TestManifestsAreLinkedWithTheirFiles(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{}
	cfg := dailyConfig(t.TempDir())
	cfg.Reports[0].AttachMaxSize = 1
	withLinks(t, cfg)
	h := startHarness(t, cfg, clock, sender)
	h.consume(mkEvent("acme", "a1", time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)))
	h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	msgs := sender.messages()
	require.Len(t, msgs, 1)
	var manifestLink string
	for _, l := range linkPattern.FindAllString(msgs[0].Text, -1) {
		if strings.Contains(l, manifest.Suffix) {
			manifestLink = l
		}
	}
	require.NotEmpty(t, manifestLink)
	status, b := get(t, manifestLink)
	require.Equal(t, 200, status)
	m, err := manifest.Parse(b)
	require.NoError(t, err)
	assert.Nil(t, m.Signature, "unsigned without signing keys")
	assert.Contains(t, msgs[0].Text, manifest.DigestOf(b))
	assert.Contains(t, msgs[0].Text, "Signed with key: unsigned")

	status, body := get(t, "http://"+h.exp.serverAddr.String()+manifest.WellKnownPath)
	require.Equal(t, 200, status)
	assert.JSONEq(t, `{"keys":[]}`, string(body))
}
