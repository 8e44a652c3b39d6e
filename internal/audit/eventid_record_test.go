package audit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestHashRecordEventID(t *testing.T) {
	attrs := func(kv ...string) pcommon.Map {
		m := pcommon.NewMap()
		for i := 0; i < len(kv); i += 2 {
			m.PutStr(kv[i], kv[i+1])
		}
		return m
	}
	body := pcommon.NewValueStr("User signed in")
	base := HashRecordEventID(SourceOTel, 1, "user.login", body, attrs("user.id", "u1", "tenant.id", "acme"))
	assert.True(t, strings.HasPrefix(base, "h-"))
	assert.Len(t, base, 34)

	// Attribute order and audit.* attributes do not matter.
	assert.Equal(t, base, HashRecordEventID(SourceOTel, 1, "user.login", body, attrs("tenant.id", "acme", "user.id", "u1", AttrTenant, "acme", AttrEventID, "x")))
	// Everything else does.
	assert.NotEqual(t, base, HashRecordEventID(SourceOTel, 2, "user.login", body, attrs("user.id", "u1", "tenant.id", "acme")))
	assert.NotEqual(t, base, HashRecordEventID(SourceOkta, 1, "user.login", body, attrs("user.id", "u1", "tenant.id", "acme")))
	assert.NotEqual(t, base, HashRecordEventID(SourceOTel, 1, "user.logout", body, attrs("user.id", "u1", "tenant.id", "acme")))
	assert.NotEqual(t, base, HashRecordEventID(SourceOTel, 1, "user.login", pcommon.NewValueEmpty(), attrs("user.id", "u1", "tenant.id", "acme")))
	assert.NotEqual(t, base, HashRecordEventID(SourceOTel, 1, "user.login", body, attrs("user.id", "u2", "tenant.id", "acme")))
}
