package identity

import (
	"errors"
	"fmt"
	"strings"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// MaxClaimTenants bounds the tenants read from one claim.
const MaxClaimTenants = 1000

// ErrBadClaim is wrapped by TenantsFromClaim when a claim cannot grant tenants.
var ErrBadClaim = errors.New("the claim does not grant tenants")

// TenantsFromClaim reads the tenants another authenticator vouches for: a comma-separated
// string, or a list of strings. Every value must be a valid tenant id, and AllTenants is
// refused: granting every tenant is the collector operator's decision (a static token), never a
// token issuer's.
func TenantsFromClaim(v any) ([]string, error) {
	var tenants []string
	switch t := v.(type) {
	case string:
		for _, s := range strings.Split(t, ",") {
			if s = strings.TrimSpace(s); s != "" {
				tenants = append(tenants, s)
			}
		}
	case []string:
		tenants = append(tenants, t...)
	case []any:
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("%w: not a list of strings", ErrBadClaim)
			}
			tenants = append(tenants, s)
		}
	default:
		return nil, fmt.Errorf("%w: missing, or not a string or a list", ErrBadClaim)
	}
	if len(tenants) == 0 || len(tenants) > MaxClaimTenants {
		return nil, fmt.Errorf("%w: %d tenants", ErrBadClaim, len(tenants))
	}
	for _, t := range tenants {
		if t == AllTenants {
			return nil, fmt.Errorf("%w: %q is allowed only for static tokens", ErrBadClaim, AllTenants)
		}
		if err := audit.ValidateTenant(t); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadClaim, err)
		}
	}
	return tenants, nil
}
