package reportmail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrHeaderInjection reports a CR or LF in a header, address or file name.
var ErrHeaderInjection = errors.New("CR or LF in a header value")

// Attachment is a file on disk sent with the message. It is streamed, never loaded whole.
type Attachment struct {
	// Name is the file name the recipient sees.
	Name string
	// ContentType is its MIME type, e.g. reportrender.ContentType("csv").
	ContentType string
	// Path is where the file is on disk.
	Path string
}

// Message is one report email.
type Message struct {
	// MessageID is the Message-ID without angle brackets, deterministic per report period
	// (for example "weekly.acme.20261123@reports.example.com") so that mail systems drop a
	// resent duplicate.
	MessageID   string
	To          []string
	Subject     string
	Text        string
	HTML        string
	Attachments []Attachment
}

// Sender delivers a message. When err is not nil, retry tells whether sending the same
// message again later can succeed (a connection failure, a 4xx answer) or not (a bad
// address, a refused login, a 5xx answer).
type Sender interface {
	Send(ctx context.Context, m Message) (retry bool, err error)
}

// validate refuses what no retry can fix, before any connection is made.
func (m *Message) validate() error {
	if m.MessageID == "" {
		return errors.New("message id is empty")
	}
	if hasCRLF(m.MessageID) || hasCRLF(m.Subject) {
		return fmt.Errorf("%w: message id or subject", ErrHeaderInjection)
	}
	if strings.ContainsAny(m.MessageID, "<>\" \t") || strings.Count(m.MessageID, "@") != 1 {
		return fmt.Errorf("message id %q: must be left@right without brackets or spaces", m.MessageID)
	}
	if len(m.To) == 0 {
		return errors.New("no recipients")
	}
	for _, to := range m.To {
		if err := checkAddress(to); err != nil {
			return fmt.Errorf("recipient: %w", err)
		}
	}
	for _, a := range m.Attachments {
		if hasCRLF(a.Name) || hasCRLF(a.ContentType) {
			return fmt.Errorf("%w: attachment %q", ErrHeaderInjection, a.Name)
		}
		if a.Name == "" || strings.ContainsAny(a.Name, "/\\\x00") || a.Name == "." || a.Name == ".." {
			return fmt.Errorf("attachment name %q: must be a plain file name", a.Name)
		}
		st, err := os.Stat(a.Path)
		if err != nil {
			return fmt.Errorf("attachment %q: %w", a.Name, err)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("attachment %q: %s is not a regular file", a.Name, a.Path)
		}
	}
	return nil
}
