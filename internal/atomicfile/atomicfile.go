// Package atomicfile replaces a file so that a crash leaves either its old content or the new
// one, never a mix: the new content goes to a temporary file beside it, is fsynced, and is
// renamed over the old.
package atomicfile // import "github.com/otelcol-audit/otelcol-audit/internal/atomicfile"

import (
	"io"
	"os"
	"path/filepath"
)

// Write replaces path with what write writes. The file is created with mode 0600.
func Write(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	err = write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteBytes replaces path with data.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
