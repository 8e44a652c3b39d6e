package audit

import "errors"

// MaxTenantLength is Loki's limit on a tenant id, in bytes.
const MaxTenantLength = 150

// Errors returned by ValidateTenant.
var (
	ErrTenantEmpty       = errors.New("tenant id is empty")
	ErrTenantTooLong     = errors.New("tenant id is longer than 150 bytes")
	ErrTenantInvalidChar = errors.New("tenant id has a character outside [a-zA-Z0-9!-_.*'()]")
	ErrTenantDots        = errors.New("tenant id must not be \".\" or \"..\"")
)

// ValidateTenant applies Loki's tenant id rules: at most 150 bytes of alphanumerics and
// !-_.*'(), and neither "." nor "..". Loki also refuses "|" (it separates tenants in a
// multi-tenant query), which the character set already excludes. A tenant that passes is safe
// as a single path segment and as an X-Scope-OrgID header.
func ValidateTenant(id string) error {
	switch {
	case id == "":
		return ErrTenantEmpty
	case len(id) > MaxTenantLength:
		return ErrTenantTooLong
	case id == "." || id == "..":
		return ErrTenantDots
	}
	for i := 0; i < len(id); i++ {
		if !tenantChar[id[i]] {
			return ErrTenantInvalidChar
		}
	}
	return nil
}

var tenantChar = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!-_.*'()" {
		t[c] = true
	}
	return t
}()
