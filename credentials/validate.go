package credentials

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/insforge-mcp/insforge-mcp/insforge"
)

// Reasons a pair fails validation. Each error Validate returns wraps one.
var (
	ErrUnreachable = errors.New("project URL unreachable")
	ErrNotInsForge = errors.New("not an InsForge backend")
	ErrKeyRejected = errors.New("API key rejected")
)

// Validate checks the pair against the backend with an admin call
// (GET /api/metadata) and says which part is wrong when it fails.
func Validate(ctx context.Context, t *insforge.Transport, c Credentials) error {
	url, err := NormalizeURL(c.ProjectURL)
	if err != nil {
		return err
	}
	if err := CheckKey(c.APIKey); err != nil {
		return err
	}
	meta, _, err := insforge.Call[map[string]any](ctx, t.Client(url, c.APIKey), insforge.Request{Path: "/api/metadata"})
	url = RedactKeys(url, c.APIKey) // from here on it only names the project in messages
	if err == nil {
		if _, ok := meta["database"]; !ok {
			if _, ok := meta["auth"]; !ok {
				return fmt.Errorf("%w: %s answered /api/metadata without the database or auth sections; check the project URL", ErrNotInsForge, url)
			}
		}
		return nil
	}
	var apiErr *insforge.Error
	switch {
	case errors.Is(err, insforge.ErrAddressRefused):
		return fmt.Errorf("%w: %s", ErrHostNotAllowed, RedactKeys(err.Error(), c.APIKey))
	case errors.Is(err, insforge.ErrUnreachable):
		return fmt.Errorf("%w: could not reach %s (%s); check the URL and that the backend is running", ErrUnreachable, url, RedactKeys(err.Error(), c.APIKey))
	case errors.As(err, &apiErr):
		if apiErr.NotJSON {
			return fmt.Errorf("%w: %s answered %d with a non-InsForge page; check the project URL (https://{project-id}.{region}.insforge.app)", ErrNotInsForge, url, apiErr.Status)
		}
		if apiErr.Status == http.StatusUnauthorized || apiErr.Status == http.StatusForbidden {
			return fmt.Errorf("%w: %s refused the key (%d%s); copy the admin API key (ik_…) again from the dashboard's project settings", ErrKeyRejected, url, apiErr.Status, plainCode(apiErr.Code))
		}
		if apiErr.Status == http.StatusNotFound {
			return fmt.Errorf("%w: %s has no /api/metadata endpoint; check the project URL", ErrNotInsForge, url)
		}
		return fmt.Errorf("checking the credentials failed: %w", err)
	default:
		// A 2xx body that is not JSON: something else answers at this URL.
		return fmt.Errorf("%w: %s did not answer /api/metadata with JSON; check the project URL", ErrNotInsForge, url)
	}
}

// plainCode is " "+code when the backend's error code is a plain
// identifier, and "" otherwise: the code is the backend's text, and only a
// plain one is said among our own words.
func plainCode(code string) string {
	if code == "" || len(code) > 40 {
		return ""
	}
	for _, c := range code {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return ""
		}
	}
	return " " + code
}
