// Command verifyreport checks audit report and export files against their signed manifests,
// and walks a folder of one report's manifests for missing, reordered or replaced periods.
//
// Usage:
//
//	verifyreport [key flags] [--allow-unsigned] FILE [MANIFEST]
//	verifyreport [key flags] [--allow-unsigned] [--open-start] --chain DIR
//	verifyreport keys [ID=PRIVATE_KEY ...]
//	verifyreport genkey [ID]
//
// Key flags say which public keys to trust: --key [ID=]BASE64 (repeatable; without ID the
// key is trusted for any key id), --keys-url URL (the links server's
// /.well-known/otelcol-audit/report-keys.json) or --keys-file FILE (the same document).
// MANIFEST defaults to FILE.manifest.json. In a chain folder, every file that lies beside
// its manifest is checked too.
//
// "keys" prints the public keys document for private keys given as arguments or, without
// arguments, as ID=PRIVATE_KEY lines on standard input (the signing::keys values of the
// report exporter's configuration); "genkey" prints a new ID=PRIVATE_KEY line.
//
// Output is one line per finding: "ok: ..." or "FAIL: ...", then nothing else, so that
// scripts can grep it. Exit status: 0 everything verified, 1 a verification failed, 2 a
// usage or I/O error.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
