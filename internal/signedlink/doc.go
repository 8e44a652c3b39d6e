// Package signedlink signs and verifies expiring download links for report and export
// files.
//
// A link carries five query parameters:
//
//	kid     key id: which key signed it, so that keys can rotate
//	exp     expiry, Unix seconds
//	tenant  the tenant the file belongs to
//	id      the report or export id
//	sig     base64url(HMAC-SHA256(key, canonical string)), unpadded
//
// The canonical string is "otelcol-audit-link/v1" followed by the method, path, tenant, id,
// expiry and key id, each length-prefixed so that no two different inputs can produce the
// same string. HEAD is signed and verified as GET, so a link that allows a download also
// allows a HEAD request for its size.
//
// Verify compares signatures with hmac.Equal (constant time) and answers every failure —
// missing or repeated parameter, unknown or removed key, bad signature, another tenant,
// expired — with the single error ErrInvalidLink, so that the HTTP layer answers a generic
// 403 and a caller learns nothing about why. The HTTP layer must still check that the file
// named by id belongs to the tenant Verify returns.
//
// Rotation: add a new key, make it current, and keep the old one until the longest-lived
// link it signed has expired (the link lifetime, 7 days by default); links signed with a key
// that is removed stop working at once. Keys must be at least 32 bytes.
package signedlink
