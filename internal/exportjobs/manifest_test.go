package exportjobs

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
)

const publicURL = "https://audit.example.com"

func getBody(t *testing.T, env *testEnv, u string) (int, []byte) {
	t.Helper()
	resp, err := env.server.Client().Get(env.server.URL + strings.TrimPrefix(u, publicURL))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// TestExportManifest: a ready export has a signed manifest of kind export beside its file,
// behind its own signed link; the status, the status page and the email show its digest
// and key; it verifies the downloaded file, and goes with the file when the link expires.
func TestExportManifest(t *testing.T) {
	src := &fakeSource{}
	src.add(rowsFor("acme", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 10, time.Hour)...)
	sender := &recordingSender{}
	signer, err := manifest.NewSigner(map[string]string{"k1": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))}, "k1")
	require.NoError(t, err)
	dir := t.TempDir()
	env := newEnv(t, dir, src, func(c *Config, d *Deps) {
		withAcmeEmail(c, d)
		c.PublicURL = publicURL
		c.FileTTL, c.RecordTTL = 24*time.Hour, 48*time.Hour
		d.Sender = sender
		d.ManifestSigner = signer
	})
	body := acmeBody(from, to)
	body["filters"] = map[string]any{"categories": []string{"users"}}
	body["notify"] = []string{"alice@acme.test"}
	code, created, e := env.submit(t, tokenAcme, body)
	require.Equal(t, http.StatusAccepted, code, e.Error)
	v := env.waitStatus(t, tokenAcme, created.ID, StatusReady)
	require.NotEmpty(t, v.ManifestDigest)
	assert.Equal(t, "k1", v.ManifestKeyID)
	require.NotEmpty(t, v.ManifestURL)

	code, file := getBody(t, env, v.DownloadURL)
	require.Equal(t, http.StatusOK, code)
	code, mb := getBody(t, env, v.ManifestURL)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, v.ManifestDigest, manifest.DigestOf(mb))
	m, err := manifest.Parse(mb)
	require.NoError(t, err)
	keys, err := signer.PublicKeys().KeySet()
	require.NoError(t, err)
	require.NoError(t, manifest.Verify(m, keys))
	assert.Equal(t, manifest.KindExport, m.Kind)
	assert.True(t, m.ChainStart, "exports are not chained")
	assert.Equal(t, "acme", m.Tenant)
	require.NotNil(t, m.Export)
	assert.Equal(t, created.ID, m.Export.ID)
	assert.Equal(t, "token:acme-admin", m.Export.Requester)
	assert.NotEmpty(t, m.Export.Filters["categories"])
	assert.Equal(t, v.Rows, m.Rows)
	saved := filepath.Join(t.TempDir(), v.FileName)
	require.NoError(t, os.WriteFile(saved, file, 0o600))
	require.NoError(t, m.CheckFile(saved))
	require.NoError(t, m.CheckRows(saved))

	// The manifest link is signed like the file's: altered, it is refused.
	code, _ = getBody(t, env, strings.Replace(v.ManifestURL, "/manifest?", "/download?", 1))
	assert.Equal(t, http.StatusForbidden, code, "a manifest link does not download the file")

	require.Eventually(t, func() bool { return len(sender.messages()) == 1 }, 10*time.Second, time.Millisecond)
	msg := sender.messages()[0]
	assert.Contains(t, msg.Text, "Manifest SHA-256: "+v.ManifestDigest+" (signed with key k1)")
	assert.Contains(t, msg.HTML, "<code>"+v.ManifestDigest+"</code>")

	resp, page := env.browserGet(t, tokenAcme, StatusPath(created.ID))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, v.ManifestDigest)
	assert.Contains(t, page, "signed with key <code>k1</code>")

	env.clock.Add(25 * time.Hour)
	env.engine.Cleanup()
	entries, err := os.ReadDir(filepath.Join(dir, "files"))
	require.NoError(t, err)
	assert.Empty(t, entries, "the manifest expires with its file")
}
