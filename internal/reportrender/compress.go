package reportrender

import (
	"archive/zip"
	"compress/gzip"
	"fmt"
	"io"
	"strings"
	"time"
)

// Compression kinds accepted by NewCompressed.
const (
	CompressionNone = ""
	CompressionZip  = "zip"
	CompressionGzip = "gzip"
)

// NewCompressed wraps w so that what is written to the result ends up compressed in w:
// "zip" makes an archive holding one file named innerName, "gzip" a gzip stream whose header
// names innerName, and "" or "none" passes bytes through. Close finishes the compressed
// stream; it does not close w.
func NewCompressed(kind string, w io.Writer, innerName string) (io.WriteCloser, error) {
	if innerName == "" || strings.ContainsAny(innerName, "/\\\r\n\x00") || innerName == "." || innerName == ".." {
		return nil, fmt.Errorf("compressed file name %q: must be a plain file name", innerName)
	}
	switch kind {
	case CompressionNone, "none":
		return nopCloser{w}, nil
	case CompressionGzip:
		gz := gzip.NewWriter(w)
		gz.Name = innerName
		gz.ModTime = time.Now()
		return gz, nil
	case CompressionZip:
		zw := zip.NewWriter(w)
		entry, err := zw.CreateHeader(&zip.FileHeader{Name: innerName, Method: zip.Deflate, Modified: time.Now()})
		if err != nil {
			return nil, fmt.Errorf("zip entry: %w", err)
		}
		return &zipFile{Writer: entry, zw: zw}, nil
	default:
		return nil, fmt.Errorf("unknown compression %q: want %q, %q or none", kind, CompressionZip, CompressionGzip)
	}
}

// CompressedName returns the file name of a report after compression.
func CompressedName(name, kind string) string {
	switch kind {
	case CompressionZip:
		return name + ".zip"
	case CompressionGzip:
		return name + ".gz"
	default:
		return name
	}
}

// CompressedContentType returns the MIME type of a compressed report, or inner (the
// report's own type) when kind is none.
func CompressedContentType(kind, inner string) string {
	switch kind {
	case CompressionZip:
		return "application/zip"
	case CompressionGzip:
		return "application/gzip"
	default:
		return inner
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

type zipFile struct {
	io.Writer
	zw     *zip.Writer
	closed bool
}

func (z *zipFile) Close() error {
	if z.closed {
		return nil
	}
	z.closed = true
	return z.zw.Close()
}

// SplitFormat parses a download format such as "csv", "xlsx", "csv.gz" or "csv.zip" into
// the report format and the compression kind for New and NewCompressed.
func SplitFormat(s string) (format, compression string, err error) {
	format, ext, _ := strings.Cut(s, ".")
	switch ext {
	case "":
	case "gz":
		compression = CompressionGzip
	case "zip":
		compression = CompressionZip
	default:
		return "", "", fmt.Errorf("unknown format %q: want csv, xlsx, optionally with .gz or .zip", s)
	}
	if format != FormatCSV && format != FormatXLSX {
		return "", "", fmt.Errorf("unknown format %q: want csv, xlsx, optionally with .gz or .zip", s)
	}
	return format, compression, nil
}
