package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
)

func seed(b byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
}

func signer(t *testing.T, current string, keys map[string]string) *manifest.Signer {
	t.Helper()
	s, err := manifest.NewSigner(keys, current)
	require.NoError(t, err)
	return s
}

// writeDay writes day's file and its manifest linked to prev, and returns the paths and
// the manifest digest.
func writeDay(t *testing.T, dir string, s *manifest.Signer, day int, prev string) (file, man, digest string) {
	t.Helper()
	name := fmt.Sprintf("daily_acme_2026-01-%02d.csv", day)
	file = filepath.Join(dir, name)
	content := fmt.Sprintf("\"Date\",\"Event ID\"\r\n\"2026-01-%02dT10:00:00+00:00\",\"e%d\"\r\n", day, day)
	require.NoError(t, os.WriteFile(file, []byte(content), 0o600))
	fd, err := manifest.FileDigest(strings.NewReader(content))
	require.NoError(t, err)
	fd.Name = name
	from := time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC)
	m := &manifest.Manifest{Version: manifest.Version, Kind: manifest.KindReport, Report: "daily", Tenant: "acme", Format: "csv",
		Period: &manifest.Period{From: from, To: from.AddDate(0, 0, 1)}, Rows: 1, File: fd, GeneratedAt: from.AddDate(0, 0, 1)}
	rh, err := manifest.HashCSVFile(file, 0)
	require.NoError(t, err)
	rh.Fill(m)
	m.Link(prev)
	if s != nil {
		require.NoError(t, s.Sign(m))
	}
	man = file + manifest.Suffix
	digest, err = manifest.WriteFile(man, m)
	require.NoError(t, err)
	return file, man, digest
}

func runCmd(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func publicKey(t *testing.T, s *manifest.Signer, id string) string {
	t.Helper()
	for _, k := range s.PublicKeys().Keys {
		if k.ID == id {
			return k.PublicKey
		}
	}
	t.Fatalf("no key %s", id)
	return ""
}

func TestVerifyFile(t *testing.T) {
	dir := t.TempDir()
	s := signer(t, "k1", map[string]string{"k1": seed(1)})
	file, man, _ := writeDay(t, dir, s, 1, "")
	pub := publicKey(t, s, "k1")

	code, out, _ := runCmd("--key", "k1="+pub, file)
	assert.Equal(t, exitOK, code, out)
	assert.True(t, strings.HasPrefix(out, "ok: "+file+": matches "+man))
	assert.Contains(t, out, "signed with key k1")

	code, out, _ = runCmd("--key", pub, file, man)
	assert.Equal(t, exitOK, code, "a key without id is trusted for any id: %s", out)

	code, out, _ = runCmd(file)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "no keys were given")

	other := signer(t, "k1", map[string]string{"k1": seed(2)})
	code, out, _ = runCmd("--key", "k1="+publicKey(t, other, "k1"), file)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "FAIL: "+man+": the signature does not verify")

	code, out, _ = runCmd("--key", "k9="+pub, file)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, `signed with key "k1", which is not among the trusted keys`)

	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, bytes.Replace(b, []byte("e1"), []byte("e2"), 1), 0o600))
	code, out, _ = runCmd("--key", "k1="+pub, file)
	assert.Equal(t, exitFailed, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	assert.Contains(t, lines[0], "file does not match its manifest")
	assert.Contains(t, lines[1], "the first altered row is among data rows 1 to 1")

	code, _, errOut := runCmd(filepath.Join(dir, "missing.csv"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "error:")
	code, _, _ = runCmd()
	assert.Equal(t, exitUsage, code)
	code, _, _ = runCmd("--bogus", file)
	assert.Equal(t, exitUsage, code)
}

func TestVerifyUnsigned(t *testing.T) {
	file, _, _ := writeDay(t, t.TempDir(), nil, 1, "")
	code, out, _ := runCmd(file)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "the manifest is unsigned")
	code, out, _ = runCmd("--allow-unsigned", file)
	assert.Equal(t, exitOK, code, out)
	assert.Contains(t, out, "unsigned")
}

func TestVerifyChainWithPublishedKeys(t *testing.T) {
	dir := t.TempDir()
	old := signer(t, "k1", map[string]string{"k1": seed(1)})
	rotated := signer(t, "k2", map[string]string{"k1": seed(1), "k2": seed(2)})
	_, _, d1 := writeDay(t, dir, old, 1, "")
	_, m2, d2 := writeDay(t, dir, old, 2, d1)
	_, _, d3 := writeDay(t, dir, rotated, 3, d2)
	writeDay(t, dir, rotated, 4, d3)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(rotated.PublicKeys())
	}))
	defer srv.Close()
	code, out, _ := runCmd("--keys-url", srv.URL+manifest.WellKnownPath, "--chain", dir)
	assert.Equal(t, exitOK, code, out)
	assert.Equal(t, "ok: "+dir+": 4 manifests, every chain is whole\n", out)

	keysFile := filepath.Join(t.TempDir(), "keys.json")
	b, err := json.Marshal(rotated.PublicKeys())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(keysFile, b, 0o600))
	require.NoError(t, os.Remove(m2))
	code, out, _ = runCmd("--keys-file", keysFile, "--chain", dir)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "FAIL: gap: daily_acme_2026-01-03.csv.manifest.json: no manifest for 2026-01-02T00:00:00Z to 2026-01-03T00:00:00Z")
	assert.Contains(t, out, "FAIL: broken-link: daily_acme_2026-01-03.csv.manifest.json")
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		assert.True(t, strings.HasPrefix(l, "FAIL: "), l)
	}

	code, _, _ = runCmd("--keys-file", filepath.Join(dir, "none.json"), "--chain", dir)
	assert.Equal(t, exitUsage, code)
}

func TestKeysAndGenkey(t *testing.T) {
	code, out, _ := runCmd("genkey", "k7")
	require.Equal(t, exitOK, code)
	line := strings.TrimSpace(out)
	require.True(t, strings.HasPrefix(line, "k7="))

	var stdout, stderr bytes.Buffer
	code = run([]string{"keys"}, strings.NewReader("# signing keys\n"+line+"\nk1: \""+seed(1)+"\"\n"), &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	var pk manifest.PublicKeys
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &pk))
	require.Len(t, pk.Keys, 2)
	assert.Equal(t, "k1", pk.Keys[0].ID)
	assert.Equal(t, publicKey(t, signer(t, "k1", map[string]string{"k1": seed(1)}), "k1"), pk.Keys[0].PublicKey)

	code, _, _ = runCmd("keys", "k1=bm90IGEga2V5")
	assert.Equal(t, exitUsage, code)
}
