package manifest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seed(b byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func testSigner(t testing.TB, current string, ids ...string) *Signer {
	t.Helper()
	keys := map[string]string{}
	for i, id := range ids {
		keys[id] = seed(byte(i + 1))
	}
	s, err := NewSigner(keys, current)
	require.NoError(t, err)
	return s
}

func keySet(t testing.TB, s *Signer) map[string]ed25519.PublicKey {
	t.Helper()
	k, err := s.PublicKeys().KeySet()
	require.NoError(t, err)
	return k
}

const smallCSV = "\uFEFF\"Date\",\"Author\"\r\n\"2026-01-01T10:00:00+00:00\",\"alice\"\r\n\"2026-01-01T11:00:00+00:00\",\"bob \"\"b\"\"\"\r\n"

// reportManifest describes content as the file of one daily period.
func reportManifest(t testing.TB, dir, tenant string, day int, content string) *Manifest {
	t.Helper()
	name := fmt.Sprintf("daily_%s_2026-01-%02d.csv", tenant, day)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	f, err := FileDigest(strings.NewReader(content))
	require.NoError(t, err)
	f.Name = name
	from := time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC)
	first, last := from.Add(10*time.Hour), from.Add(11*time.Hour)
	m := &Manifest{
		Version: Version, Kind: KindReport, Report: "daily", Tenant: tenant, Format: "csv",
		Period: &Period{From: from, To: from.AddDate(0, 0, 1)}, Rows: 2, FirstEvent: &first, LastEvent: &last,
		File: f, GeneratedAt: from.AddDate(0, 0, 1).Add(5 * time.Minute),
	}
	if IsCSV(name) {
		rh, err := HashCSVFile(path, 1)
		require.NoError(t, err)
		rh.Fill(m)
	}
	return m
}

func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{
		`{ "b": 1, "a": [true, null, "x<y>&\u00e9\u2028"] }`: `{"a":[true,null,"x<y>&é\u2028"],"b":1}`,
		`{"z":{"b":"\n","a":-3}}`:                            `{"z":{"a":-3,"b":"\n"}}`,
		`"\u0001"`:                                           `"\u0001"`,
	} {
		got, err := Canonical([]byte(in))
		require.NoError(t, err, in)
		assert.Equal(t, want, string(got), in)
	}
	for _, bad := range []string{`{"a":1,"a":2}`, `1.5`, `1e3`, `01`, `-0`, `{} {}`, `{"a":}`} {
		_, err := Canonical([]byte(bad))
		assert.ErrorIs(t, err, ErrNotCanonical, bad)
	}
}

func TestSignParseVerify(t *testing.T) {
	s := testSigner(t, "k1", "k1")
	m := reportManifest(t, t.TempDir(), "acme", 1, smallCSV)
	m.Link("")
	require.NoError(t, s.Sign(m))
	b, err := m.Marshal()
	require.NoError(t, err)
	assert.Contains(t, string(b), `"previous_digest":null`)
	assert.Contains(t, string(b), `"chain_start":true`)
	got, err := Parse(b)
	require.NoError(t, err)
	require.NoError(t, Verify(got, keySet(t, s)))
	assert.Equal(t, "k1", got.Key())

	other := testSigner(t, "k1", "k9", "k1") // the same id, another key
	assert.ErrorIs(t, Verify(got, keySet(t, other)), ErrBadSignature)
	assert.ErrorIs(t, Verify(got, map[string]ed25519.PublicKey{}), ErrUnknownKey)

	m.KeyID, m.Signature = nil, nil
	b, err = m.Marshal()
	require.NoError(t, err)
	assert.Contains(t, string(b), `"signature":null`)
	got, err = Parse(b)
	require.NoError(t, err)
	assert.ErrorIs(t, Verify(got, keySet(t, s)), ErrUnsigned)

	_, err = Parse(append(bytes.TrimSuffix(b, []byte("\n")), ' ', '\n'))
	assert.ErrorIs(t, err, ErrNotCanonical)
}

func TestKeys(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	for _, enc := range []string{
		base64.StdEncoding.EncodeToString(priv.Seed()), base64.RawURLEncoding.EncodeToString(priv.Seed()),
		base64.StdEncoding.EncodeToString(priv),
	} {
		k, err := ParsePrivateKey(enc)
		require.NoError(t, err)
		assert.True(t, priv.Equal(k))
	}
	bad := append([]byte(nil), priv...)
	bad[40] ^= 1
	_, err := ParsePrivateKey(base64.StdEncoding.EncodeToString(bad))
	assert.Error(t, err, "a private key whose public half is not its seed's")
	_, err = ParsePrivateKey("c2hvcnQ=")
	assert.Error(t, err)
	_, err = NewSigner(map[string]string{"k 1": seed(1)}, "k 1")
	var ke *KeyError
	require.ErrorAs(t, err, &ke)
	assert.Equal(t, "k 1", ke.ID)
	_, err = NewSigner(map[string]string{"k1": seed(1)}, "k2")
	assert.Error(t, err)
}

// detected reports whether a file and manifest pair fails verification.
func detected(keys map[string]ed25519.PublicKey, filePath string, manifestBytes []byte) bool {
	m, err := Parse(manifestBytes)
	if err != nil {
		return true
	}
	return Verify(m, keys) != nil || m.CheckFile(filePath) != nil
}

func signedPair(t testing.TB) (keys map[string]ed25519.PublicKey, dir string, file, manifestBytes []byte) {
	t.Helper()
	s := testSigner(t, "k1", "k1")
	dir = t.TempDir()
	m := reportManifest(t, dir, "acme", 1, smallCSV)
	prev := strings.Repeat("ab", 32)
	m.Link(prev)
	require.NoError(t, s.Sign(m))
	b, err := m.Marshal()
	require.NoError(t, err)
	return keySet(t, s), dir, []byte(smallCSV), b
}

// edits are the single-byte edits tried at every position: replacements by a few values
// that flip low, middle and high bits or turn the byte into JSON syntax, a deletion and an
// insertion.
var replacements = []byte{0x00, ' ', '"', '0', '\\', '\n'}

func singleByteEdits(b []byte, fn func(desc string, edited []byte)) {
	for i := range b {
		for _, x := range []byte{0x01, 0x20, 0x80} {
			e := bytes.Clone(b)
			e[i] ^= x
			fn(fmt.Sprintf("byte %d xor %#x", i, x), e)
		}
		for _, r := range replacements {
			if b[i] == r {
				continue
			}
			e := bytes.Clone(b)
			e[i] = r
			fn(fmt.Sprintf("byte %d set to %#x", i, r), e)
		}
		fn(fmt.Sprintf("byte %d deleted", i), append(bytes.Clone(b[:i]), b[i+1:]...))
		fn(fmt.Sprintf("%#x inserted at %d", b[i], i), append(bytes.Clone(b[:i+1]), b[i:]...))
	}
	fn("byte appended", append(bytes.Clone(b), '\n'))
}

func TestEverySingleByteEditIsDetected(t *testing.T) {
	keys, dir, file, mb := signedPair(t)
	filePath := filepath.Join(dir, "daily_acme_2026-01-01.csv")
	require.False(t, detected(keys, filePath, mb), "the untouched pair verifies")

	singleByteEdits(mb, func(desc string, edited []byte) {
		if detected(keys, filePath, edited) {
			return
		}
		t.Errorf("manifest edit not detected: %s", desc)
	})
	edited := filepath.Join(dir, "edited.csv")
	singleByteEdits(file, func(desc string, b []byte) {
		require.NoError(t, os.WriteFile(edited, b, 0o600))
		if !detected(keys, edited, mb) {
			t.Errorf("file edit not detected: %s", desc)
		}
	})
}

func FuzzManifestTamper(f *testing.F) {
	keys, dir, file, mb := signedPair(f)
	f.Add(true, uint16(0), byte(1))
	f.Add(false, uint16(10), byte(0x20))
	f.Add(true, uint16(len(mb)-1), byte('\n'))
	edited := filepath.Join(dir, "fuzz.csv")
	filePath := filepath.Join(dir, "daily_acme_2026-01-01.csv")
	f.Fuzz(func(t *testing.T, inManifest bool, pos uint16, v byte) {
		target := file
		if inManifest {
			target = mb
		}
		i := int(pos) % len(target)
		if target[i] == v {
			return
		}
		b := bytes.Clone(target)
		b[i] = v
		if inManifest {
			if !detected(keys, filePath, b) {
				t.Fatalf("manifest byte %d set to %#x not detected", i, v)
			}
			return
		}
		require.NoError(t, os.WriteFile(edited, b, 0o600))
		if !detected(keys, edited, mb) {
			t.Fatalf("file byte %d set to %#x not detected", i, v)
		}
	})
}

func TestRowCheckpointsNameTheAlteredBlock(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("\"Date\",\"Event ID\"\r\n")
	for i := 1; i <= 25; i++ {
		fmt.Fprintf(&b, "\"2026-01-01T10:00:00+00:00\",\"e%d\"\r\n", i)
	}
	path := filepath.Join(dir, "r.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	rh, err := HashCSVFile(path, 10)
	require.NoError(t, err)
	m := &Manifest{Rows: 25}
	rh.Fill(m)
	require.Len(t, m.RowCheckpoints, 2)
	require.NoError(t, m.CheckRows(path))

	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(b.String(), `"e15"`, `"e16"`, 1)), 0o600))
	err = m.CheckRows(path)
	require.ErrorIs(t, err, ErrRowsMismatch)
	assert.Contains(t, err.Error(), "rows 11 to 20")

	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(b.String(), `"e23"`, `"x"`, 1)), 0o600))
	err = m.CheckRows(path)
	require.ErrorIs(t, err, ErrRowsMismatch)
	assert.Contains(t, err.Error(), "data rows 21 to 25")
}

func TestParseRefusesInconsistentManifests(t *testing.T) {
	m := reportManifest(t, t.TempDir(), "acme", 1, smallCSV)
	m.Link("")
	m.ChainStart = false
	b, err := m.Marshal()
	require.NoError(t, err)
	_, err = Parse(b)
	assert.Error(t, err, "no previous digest and no chain start")
	m.Link("")
	m.Version = 2
	b, err = m.Marshal()
	require.NoError(t, err)
	_, err = Parse(b)
	assert.True(t, errors.Is(err, ErrUnsupported))
}
