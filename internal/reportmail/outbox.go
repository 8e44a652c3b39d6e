package reportmail

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/otelcol-audit/otelcol-audit/internal/atomicfile"
)

type outbox struct{ dir string }

// NewOutbox returns a Sender that writes each message to dir instead of sending it, so that
// reports can be looked at with no mail server: <id>.eml is the complete message as it would
// have been sent (attachments included), and <id>/ holds a copy of each attached file. <id>
// is the Message-ID with every character outside [A-Za-z0-9._@-] replaced by "_".
//
// Files appear atomically (written under a temporary name, then renamed), and a message
// whose .eml already exists is not written again, like a mail system dropping a duplicate
// Message-ID.
func NewOutbox(dir string) Sender { return &outbox{dir: dir} }

func (o *outbox) Send(_ context.Context, m Message) (bool, error) {
	msg, err := buildMsg("Report outbox <outbox@localhost>", &m)
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(o.dir, 0o750); err != nil {
		return true, fmt.Errorf("outbox: %w", err)
	}
	name := fileSafe(m.MessageID)
	emlPath := filepath.Join(o.dir, name+".eml")
	if _, err := os.Stat(emlPath); err == nil {
		return false, nil
	}
	if len(m.Attachments) > 0 {
		filesDir := filepath.Join(o.dir, name)
		if err := os.MkdirAll(filesDir, 0o750); err != nil {
			return true, fmt.Errorf("outbox: %w", err)
		}
		for _, a := range m.Attachments {
			if err := atomicfile.Write(filepath.Join(filesDir, a.Name), func(w io.Writer) error {
				src, err := os.Open(a.Path)
				if err != nil {
					return err
				}
				defer src.Close()
				_, err = io.Copy(w, src)
				return err
			}); err != nil {
				return true, fmt.Errorf("outbox: attachment %q: %w", a.Name, err)
			}
		}
	}
	// The .eml comes last: its presence means the message is complete.
	if err := atomicfile.Write(emlPath, func(w io.Writer) error {
		_, err := msg.WriteTo(w)
		return err
	}); err != nil {
		return true, fmt.Errorf("outbox: %w", err)
	}
	return false, nil
}

func fileSafe(id string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '@', r == '-':
			return r
		}
		return '_'
	}, id)
}
