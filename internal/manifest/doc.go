// Package manifest describes a rendered audit report or export file in a signed JSON
// document written beside it (<file>.manifest.json), links the manifests of one report and
// tenant into a hash chain, and verifies both.
//
// # Manifest
//
// A manifest names what the file covers (report, tenant and period, or the export request
// and its requester), its rows (count, first and last event time, and for CSV files a
// running digest over the rows), the file itself (name, size, SHA-256), the digest of the
// previous manifest of the same report and tenant, and an Ed25519 signature.
//
// Report manifests of one report, tenant and file format form a chain; export manifests
// answer one request each and are all chain starts.
//
// # Canonical form
//
// A manifest file holds exactly its canonical JSON followed by one line feed (0x0A); a file
// that differs from that is rejected, so that no byte of it can change without changing
// what is signed. The canonical JSON of a value is:
//
//   - objects: "{" members "}" with members sorted by key (byte order of the UTF-8 key),
//     each `"key":value`, separated by ",", no duplicate keys;
//   - arrays: "[" values "]" separated by ",";
//   - strings: as Go's encoding/json writes them with HTML escaping off: `"` and `\` escaped
//     with a backslash, \n \r \t for those controls, \u00XX (lower-case hex) for the other
//     bytes below 0x20, \u2028 and \u2029 escaped, every other character as UTF-8;
//   - numbers: integers in decimal without a sign "+", leading zeros, fraction or exponent
//     (a manifest holds no other numbers); true, false and null as such;
//   - no whitespace outside strings.
//
// # Signature and digest
//
// The signature is Ed25519 over the canonical JSON of the manifest without its "signature"
// member (so "key_id" is signed too), base64 (standard alphabet, padded) in "signature".
// A manifest's digest, used as the next manifest's "previous_digest", is the lower-case hex
// SHA-256 of the manifest file as written (canonical JSON and the final line feed), which is
// what `sha256sum file.manifest.json` prints.
//
// # Rows digest
//
// For CSV files (plain, gzip or zip), "rows_digest" is the hex SHA-256 over every data row
// after the header, each row encoded as the canonical JSON array of its cells (strings, as
// an RFC 4180 reader returns them) followed by a line feed. "row_checkpoints" holds the
// running digest after every "row_checkpoint_interval" rows, so that a verifier can name
// the block holding the first altered row.
package manifest
