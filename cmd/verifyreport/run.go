package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// maxKeysDocument caps the keys document read from a URL or file.
const maxKeysDocument = 1 << 20

type keyFlags []string

func (k *keyFlags) String() string     { return strings.Join(*k, ",") }
func (k *keyFlags) Set(v string) error { *k = append(*k, v); return nil }

type verifier struct {
	out, errOut io.Writer
	failed      bool
}

func (v *verifier) ok(format string, args ...any) { fmt.Fprintf(v.out, "ok: "+format+"\n", args...) }

func (v *verifier) fail(format string, args ...any) {
	v.failed = true
	fmt.Fprintf(v.out, "FAIL: "+format+"\n", args...)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "keys":
			return printKeys(args[1:], stdin, stdout, stderr)
		case "genkey":
			return genKey(args[1:], stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("verifyreport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var keys keyFlags
	fs.Var(&keys, "key", "trusted public key, [ID=]BASE64 (repeatable)")
	keysURL := fs.String("keys-url", "", "URL of the published keys document")
	keysFile := fs.String("keys-file", "", "file holding the published keys document")
	chain := fs.String("chain", "", "walk the manifests in this folder")
	allowUnsigned := fs.Bool("allow-unsigned", false, "accept unsigned manifests")
	openStart := fs.Bool("open-start", false, "with --chain: accept a folder that starts mid-chain")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	trusted, anyID, err := loadKeys(keys, *keysURL, *keysFile)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return exitUsage
	}
	v := &verifier{out: stdout, errOut: stderr}
	if *chain != "" {
		if fs.NArg() != 0 {
			fmt.Fprintln(stderr, "error: --chain takes a folder and no file")
			return exitUsage
		}
		return v.chain(*chain, trusted, anyID, *allowUnsigned, *openStart)
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fmt.Fprintln(stderr, "usage: verifyreport [--key [ID=]PUBKEY|--keys-url URL|--keys-file FILE] [--allow-unsigned] FILE [MANIFEST]")
		fmt.Fprintln(stderr, "       verifyreport [key flags] [--allow-unsigned] [--open-start] --chain DIR")
		fmt.Fprintln(stderr, "       verifyreport keys [ID=PRIVATE_KEY ...]")
		fmt.Fprintln(stderr, "       verifyreport genkey [ID]")
		return exitUsage
	}
	file := fs.Arg(0)
	manifestPath := file + manifest.Suffix
	if fs.NArg() == 2 {
		manifestPath = fs.Arg(1)
	}
	return v.file(file, manifestPath, trusted, anyID, *allowUnsigned)
}

// loadKeys gathers the trusted keys; anyID is a key given without id, trusted for any id.
func loadKeys(flags keyFlags, url, file string) (map[string]ed25519.PublicKey, ed25519.PublicKey, error) {
	var trusted map[string]ed25519.PublicKey
	var anyID ed25519.PublicKey
	add := func(set map[string]ed25519.PublicKey) {
		if trusted == nil {
			trusted = map[string]ed25519.PublicKey{}
		}
		for id, k := range set {
			trusted[id] = k
		}
	}
	for _, f := range flags {
		// A bare base64 key may end in "=" padding: try it whole first.
		id, b64 := "", f
		if _, err := manifest.ParsePublicKey(f); err != nil {
			if i, k, ok := strings.Cut(f, "="); ok && manifest.ValidKeyID(i) {
				id, b64 = i, k
			}
		}
		k, err := manifest.ParsePublicKey(b64)
		if err != nil {
			return nil, nil, fmt.Errorf("--key %q: %w", f, err)
		}
		if id == "" {
			anyID = k
			add(nil)
			continue
		}
		add(map[string]ed25519.PublicKey{id: k})
	}
	var doc []byte
	switch {
	case url != "":
		client := &http.Client{Timeout: 30 * time.Second}
		resp, err := client.Get(url)
		if err != nil {
			return nil, nil, fmt.Errorf("--keys-url: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, nil, fmt.Errorf("--keys-url: %s answered %s", url, resp.Status)
		}
		if doc, err = io.ReadAll(io.LimitReader(resp.Body, maxKeysDocument)); err != nil {
			return nil, nil, fmt.Errorf("--keys-url: %w", err)
		}
	case file != "":
		var err error
		if doc, err = os.ReadFile(file); err != nil {
			return nil, nil, fmt.Errorf("--keys-file: %w", err)
		}
	}
	if doc != nil {
		set, err := manifest.ParsePublicKeys(doc)
		if err != nil {
			return nil, nil, err
		}
		add(set)
	}
	return trusted, anyID, nil
}

// keysFor returns the keys to verify m with: the trusted set, plus a key given without id
// under m's key id.
func keysFor(m *manifest.Manifest, trusted map[string]ed25519.PublicKey, anyID ed25519.PublicKey) map[string]ed25519.PublicKey {
	if anyID == nil || m.KeyID == nil {
		return trusted
	}
	out := map[string]ed25519.PublicKey{*m.KeyID: anyID}
	for id, k := range trusted {
		out[id] = k
	}
	return out
}

// signature checks one manifest's signature and says why it fails; trusted nil means no
// keys were given.
func (v *verifier) signature(name string, m *manifest.Manifest, trusted map[string]ed25519.PublicKey, anyID ed25519.PublicKey, allowUnsigned bool) {
	if m.Signature == nil {
		if !allowUnsigned {
			v.fail("%s: the manifest is unsigned (pass --allow-unsigned to accept it)", name)
		}
		return
	}
	if trusted == nil {
		v.fail("%s: signed with key %q, but no keys were given: pass --key, --keys-url or --keys-file", name, m.Key())
		return
	}
	if err := manifest.Verify(m, keysFor(m, trusted, anyID)); err != nil {
		switch {
		case errors.Is(err, manifest.ErrUnknownKey):
			v.fail("%s: signed with key %q, which is not among the trusted keys", name, m.Key())
		default:
			v.fail("%s: the signature does not verify with key %q: the manifest was altered", name, m.Key())
		}
	}
}

func (v *verifier) file(file, manifestPath string, trusted map[string]ed25519.PublicKey, anyID ed25519.PublicKey, allowUnsigned bool) int {
	b, err := os.ReadFile(manifestPath)
	if err != nil {
		fmt.Fprintln(v.errOut, "error:", err)
		return exitUsage
	}
	if _, err := os.Stat(file); err != nil {
		fmt.Fprintln(v.errOut, "error:", err)
		return exitUsage
	}
	m, err := manifest.Parse(b)
	if err != nil {
		v.fail("%s: %v", manifestPath, err)
		return exitFailed
	}
	v.signature(manifestPath, m, trusted, anyID, allowUnsigned)
	if err := m.CheckFile(file); err != nil {
		if !errors.Is(err, manifest.ErrFileMismatch) {
			fmt.Fprintln(v.errOut, "error:", err)
			return exitUsage
		}
		v.fail("%s: %v", file, err)
		if m.RowsDigest != "" {
			if rerr := m.CheckRows(file); rerr != nil {
				v.fail("%s: %v", file, rerr)
			}
		}
	}
	if v.failed {
		return exitFailed
	}
	v.ok("%s: matches %s (%s, %d rows, sha256 %s, %s)", file, manifestPath, describe(m), m.Rows, m.File.SHA256, signedBy(m))
	return exitOK
}

func describe(m *manifest.Manifest) string {
	if m.Period != nil {
		return fmt.Sprintf("report %s, tenant %s, %s to %s", m.Report, m.Tenant, m.Period.From.Format(time.RFC3339), m.Period.To.Format(time.RFC3339))
	}
	if m.Export != nil {
		return fmt.Sprintf("export %s, tenant %s, %s to %s, requested by %s", m.Export.ID, m.Tenant, m.Export.From.Format(time.RFC3339), m.Export.To.Format(time.RFC3339), m.Export.Requester)
	}
	return m.Kind
}

func signedBy(m *manifest.Manifest) string {
	if m.KeyID == nil {
		return "unsigned"
	}
	return "signed with key " + *m.KeyID
}

func (v *verifier) chain(dir string, trusted map[string]ed25519.PublicKey, anyID ed25519.PublicKey, allowUnsigned, openStart bool) int {
	entries, problems, err := manifest.LoadDir(dir)
	if err != nil {
		fmt.Fprintln(v.errOut, "error:", err)
		return exitUsage
	}
	for _, p := range problems {
		v.fail("%s", p)
	}
	// Signatures are checked here rather than by Walk, for the unsigned and no-keys cases.
	for _, e := range entries {
		v.signature(e.Name, e.Manifest, trusted, anyID, allowUnsigned)
		path := filepath.Join(dir, e.Manifest.File.Name)
		if e.Manifest.File.Name == "" || filepath.Base(e.Manifest.File.Name) != e.Manifest.File.Name {
			continue
		}
		if err := e.Manifest.CheckFile(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			v.fail("%s: %v", e.Manifest.File.Name, err)
		}
	}
	for _, p := range manifest.Walk(entries, manifest.WalkOptions{OpenStart: openStart}) {
		v.fail("%s", p)
	}
	if v.failed {
		return exitFailed
	}
	v.ok("%s: %d manifests, every chain is whole", dir, len(entries))
	return exitOK
}

func printKeys(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	lines := args
	if len(lines) == 0 {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
		if err := sc.Err(); err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return exitUsage
		}
	}
	if len(lines) == 0 {
		fmt.Fprintln(stderr, "usage: verifyreport keys ID=PRIVATE_KEY ... (or those lines on standard input)")
		return exitUsage
	}
	keys := map[string]string{}
	var current string
	for _, l := range lines {
		// YAML form "id: value" first: a base64 value holds no ':' but may hold '='.
		id, k, ok := strings.Cut(l, ":")
		if !ok || !manifest.ValidKeyID(strings.TrimSpace(id)) {
			id, k, ok = strings.Cut(l, "=")
		}
		if !ok {
			fmt.Fprintf(stderr, "error: %q is not ID=PRIVATE_KEY\n", l)
			return exitUsage
		}
		id, k = strings.TrimSpace(id), strings.Trim(strings.TrimSpace(k), `"'`)
		keys[id], current = k, id
	}
	s, err := manifest.NewSigner(keys, current)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return exitUsage
	}
	b, err := json.MarshalIndent(s.PublicKeys(), "", "  ")
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return exitUsage
	}
	fmt.Fprintln(stdout, string(b))
	return exitOK
}

func genKey(args []string, stdout, stderr io.Writer) int {
	id := "k1"
	if len(args) > 1 || len(args) == 1 && !manifest.ValidKeyID(args[0]) {
		fmt.Fprintln(stderr, "usage: verifyreport genkey [ID]")
		return exitUsage
	}
	if len(args) == 1 {
		id = args[0]
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "%s=%s\n", id, base64.StdEncoding.EncodeToString(seed))
	return exitOK
}
