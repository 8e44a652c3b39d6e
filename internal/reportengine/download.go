package reportengine

import (
	"mime"
	"net/http"
	"os"
	"strings"

	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportrender"
)

// ServeFile serves the file at path as a download named name: an attachment, never cached,
// never sniffed, with range requests. ready, when set, is called once the file is open,
// before anything is written, to add headers and to count or audit the download. When the
// file cannot be opened ServeFile writes nothing and returns the error, so that the caller
// answers as its API does (410 for a report file, 403 for an export).
func ServeFile(w http.ResponseWriter, r *http.Request, path, name string, ready func(http.Header)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Content-Type", ContentTypeOf(name))
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if ready != nil {
		ready(h)
	}
	http.ServeContent(w, r, "", st.ModTime(), f)
	return nil
}

// ContentTypeOf is the MIME type of a report, export or manifest file, by its name.
func ContentTypeOf(name string) string {
	switch {
	case strings.HasSuffix(name, manifest.Suffix):
		return ManifestContentType
	case strings.HasSuffix(name, ".zip"):
		return reportrender.CompressedContentType(reportrender.CompressionZip, "")
	case strings.HasSuffix(name, ".gz"):
		return reportrender.CompressedContentType(reportrender.CompressionGzip, "")
	case strings.HasSuffix(name, "."+reportrender.FormatCSV):
		return reportrender.ContentType(reportrender.FormatCSV)
	case strings.HasSuffix(name, "."+reportrender.FormatXLSX):
		return reportrender.ContentType(reportrender.FormatXLSX)
	default:
		return "application/octet-stream"
	}
}

// ManifestContentType is the MIME type of a manifest.
const ManifestContentType = "application/json"
