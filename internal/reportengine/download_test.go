package reportengine

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "0123")
	require.NoError(t, os.WriteFile(path, []byte("Date,Author\n"), 0o600))

	ready := 0
	rec := httptest.NewRecorder()
	err := ServeFile(rec, httptest.NewRequest(http.MethodGet, "/x", nil), path, "audit log.csv", func(h http.Header) {
		ready++
		h.Set("Digest", "sha-256=abc")
	})
	require.NoError(t, err)
	assert.Equal(t, 1, ready)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "Date,Author\n", rec.Body.String())
	h := rec.Header()
	assert.Equal(t, `attachment; filename="audit log.csv"`, h.Get("Content-Disposition"))
	assert.Equal(t, "text/csv; charset=utf-8", h.Get("Content-Type"))
	assert.Equal(t, "private, no-store", h.Get("Cache-Control"))
	assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	assert.Equal(t, "sha-256=abc", h.Get("Digest"))

	// A missing file writes nothing: the caller answers.
	rec = httptest.NewRecorder()
	err = ServeFile(rec, httptest.NewRequest(http.MethodGet, "/x", nil), filepath.Join(dir, "gone"), "x.csv", func(http.Header) { ready++ })
	require.Error(t, err)
	assert.Equal(t, 1, ready)
	assert.Empty(t, rec.Header())
	assert.Zero(t, rec.Body.Len())
}

func TestContentTypeOf(t *testing.T) {
	for name, want := range map[string]string{
		"a.csv":               "text/csv; charset=utf-8",
		"a.xlsx":              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"a.csv.gz":            "application/gzip",
		"a.xlsx.zip":          "application/zip",
		"a.csv.manifest.json": "application/json",
		"a.bin":               "application/octet-stream",
	} {
		assert.Equal(t, want, ContentTypeOf(name), name)
	}
}

func TestIDs(t *testing.T) {
	a, b := NewID(), NewID()
	assert.NotEqual(t, a, b)
	assert.True(t, IsID(a))
	for _, bad := range []string{"", "../etc", a[:31], a + "0", "0123456789ABCDEF0123456789abcdef", "0123456789abcdef0123456789abcdeg"} {
		assert.False(t, IsID(bad), bad)
	}
	assert.Equal(t, "acme_corp.eu-1", SafeName("acme/corp.eu-1"))
	assert.Equal(t, "a_b", SafeName("a日b"), "one replacement per character")
}
