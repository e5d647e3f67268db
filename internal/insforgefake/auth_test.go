package insforgefake

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// The tools' tests cover the auth routes; this covers what they do not
// read: the public config and the metadata section.
func TestAuthPublicConfigAndMetadata(t *testing.T) {
	t.Parallel()
	srv := New(t)
	call(t, srv, "POST", "/api/auth/oauth/configs", map[string]any{"provider": "github", "useSharedKey": false})
	r := call(t, srv, "GET", "/api/auth/public-config", nil, "Authorization", "")
	m := r.obj(t)
	if r.status != 200 || m["allowedRedirectUrls"] != nil || m["id"] != nil || m["passwordMinLength"] != float64(6) ||
		!reflect.DeepEqual(m["oAuthProviders"], []any{"github"}) {
		t.Errorf("public config = %d %s", r.status, r.body)
	}
	m = call(t, srv, "GET", "/api/metadata/auth", nil).obj(t)
	if !reflect.DeepEqual(m["oAuthProviders"], []any{"github"}) || m["smtpConfig"] == nil || m["allowedRedirectUrls"] == nil {
		t.Errorf("metadata/auth = %v", m)
	}
}

func TestAuthConcurrentUsers(t *testing.T) {
	t.Parallel()
	srv := New(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			call(t, srv, "POST", "/api/auth/users", map[string]any{"email": fmt.Sprintf("u%d@example.com", i), "password": "secret1"})
			call(t, srv, "GET", "/api/auth/users?limit=5", nil)
			call(t, srv, "GET", "/api/metadata", nil)
		})
	}
	wg.Wait()
	if r := call(t, srv, "GET", "/api/auth/users", nil); r.obj(t)["pagination"].(map[string]any)["total"] != float64(20) {
		t.Errorf("after concurrent creates: %s", r.body)
	}
}
