// Package reportmail delivers report emails with github.com/wneessen/go-mail, or writes them
// to a local outbox when no mail server is configured.
//
// # TLS policy
//
// TLS is required unless explicitly turned off:
//
//   - tls: starttls (the default) upgrades the connection with STARTTLS under go-mail's
//     mandatory policy: a server that does not offer STARTTLS gets no mail, never clear
//     text.
//   - tls: implicit speaks TLS from the first byte (SMTPS, port 465).
//   - tls: none sends in clear text and is refused unless allow_plaintext: true is set too.
//
// Certificates are verified against the system roots, or against ca_file;
// insecure_skip_verify is for test servers. With a username, SMTP AUTH uses the strongest
// mechanism the server offers (SCRAM, CRAM-MD5, PLAIN, LOGIN); without TLS it uses PLAIN,
// which allow_plaintext has accepted. The password is a configopaque.String.
//
// # Messages
//
// The caller gives a deterministic Message-ID per report period, so that a resend after a
// crash is dropped by mail systems as a duplicate. A CR or LF in the subject, the
// Message-ID, an address, an attachment name or its content type is refused with
// ErrHeaderInjection before any connection is made. Attachments are streamed from disk. Each
// message carries "Auto-Submitted: auto-generated" (RFC 3834), so that auto-responders stay
// quiet. Summary renders the plain-text and HTML bodies: period, total events, counts by
// category, top authors, failed logins, and the files (attached, or a download link with its
// expiry); a Tally counts them while the report renders.
//
// # Retries
//
// Send returns (retry, err) in the manner of Alertmanager's notifiers: the code that failed
// decides. Retry is true for a connection failure, a timeout, a 4xx answer, or a server that
// does not offer STARTTLS (it may be reconfigured); it is false for an invalid message, a
// refused login or any 5xx answer, and an untrusted or mismatched certificate.
//
// # Outbox
//
// NewOutbox writes <id>.eml (the complete message) and <id>/<file> copies of the attachments
// to a directory, atomically, and skips a Message-ID it has already written; a demo or a test
// then needs no mail server.
package reportmail
