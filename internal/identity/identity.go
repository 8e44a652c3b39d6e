// Package identity is the tenant-aware identity every endpoint of the distribution shares: who
// a request comes from and which tenants it may read or write. An authenticator (the audit_auth
// extension, or a receiver that binds a tenant to an endpoint credential) puts it into the
// request context as client.AuthData; the normaliser, the export API and the download links
// read it back with FromContext. A payload never chooses its tenant when an identity is present.
package identity

import (
	"context"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/client"
)

// AllTenants in an identity's tenant list allows every tenant. Only statically configured
// tokens may carry it; a claim from another authenticator never does.
const AllTenants = "*"

// Attribute names under which an Identity is exposed as client.AuthData, so that stock
// components (for example the headers_setter extension or routing) can read them too.
const (
	AttrSubject       = "audit.subject"
	AttrEmail         = "audit.email"
	AttrTenants       = "audit.tenants"
	AttrDefaultTenant = "audit.default_tenant"
	// AttrInternal marks events the distribution emits itself (the audit of the audit).
	AttrInternal = "audit.internal"
)

// Identity is an authenticated caller.
type Identity struct {
	// Subject names the caller in logs and audit events (a token's name, a claim's subject).
	Subject string
	// Email is where the caller's own notifications go.
	Email string
	// Tenants the caller may write and read; AllTenants allows every tenant. An identity
	// with none writes only the normaliser's default tenant.
	Tenants []string
	// DefaultTenant is given to records that name no tenant. Empty means the first entry of
	// Tenants that is not AllTenants.
	DefaultTenant string
	// Internal marks the distribution's own events: they name their tenant themselves.
	Internal bool
}

// Allows reports whether the identity may write or read tenant.
func (id *Identity) Allows(tenant string) bool {
	if id.Internal {
		return true
	}
	return slices.Contains(id.Tenants, AllTenants) || slices.Contains(id.Tenants, tenant)
}

// Default is the tenant of a record that names none, or "" when the identity has no default.
func (id *Identity) Default() string {
	if id.DefaultTenant != "" {
		return id.DefaultTenant
	}
	for _, t := range id.Tenants {
		if t != AllTenants {
			return t
		}
	}
	return ""
}

// GetAttribute implements client.AuthData.
func (id *Identity) GetAttribute(name string) any {
	switch name {
	case AttrSubject:
		return id.Subject
	case AttrEmail:
		return id.Email
	case AttrTenants:
		return strings.Join(id.Tenants, ",")
	case AttrDefaultTenant:
		return id.Default()
	case AttrInternal:
		return id.Internal
	}
	return nil
}

// GetAttributeNames implements client.AuthData.
func (id *Identity) GetAttributeNames() []string {
	return []string{AttrSubject, AttrEmail, AttrTenants, AttrDefaultTenant, AttrInternal}
}

var _ client.AuthData = (*Identity)(nil)

// FromContext returns the identity the request was authenticated as, if any. Auth data from
// another authenticator is not an Identity and is not trusted here: bind such authenticators
// through the audit_auth extension's claims settings instead.
func FromContext(ctx context.Context) (*Identity, bool) {
	id, ok := client.FromContext(ctx).Auth.(*Identity)
	return id, ok && id != nil
}

// NewContext returns ctx carrying id as its client auth data, keeping the rest of client.Info.
func NewContext(ctx context.Context, id *Identity) context.Context {
	info := client.FromContext(ctx)
	info.Auth = id
	return client.NewContext(ctx, info)
}
