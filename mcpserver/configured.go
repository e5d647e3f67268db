package mcpserver

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/insforge-mcp/insforge-mcp/credentials"
)

// configCheck is what became of the configured credentials: a value
// refused at start (a project URL that does not parse), or the check of
// the pair against the backend (CheckConfigured). A refused configuration
// is not used; the server stays locked and every locked answer says which
// value was refused, why, and where it came from.
type configCheck struct {
	done    chan struct{} // closed once refused is final
	refused string        // set before done closes; never holds the key
}

func newConfigCheck(refused string) *configCheck {
	c := &configCheck{done: make(chan struct{}), refused: refused}
	close(c.done)
	return c
}

// CheckConfigured checks the configured pair against the backend in the
// background, within timeout: initialize must not wait for the backend.
// Until the check ends, a tool call that would use the pair waits for it.
// A key the backend refuses (or that cannot be an admin key) is not used
// from then on. An unreachable backend refuses nothing: the tools then
// report the backend's errors themselves. Call it before serving.
func (s *Server) CheckConfigured(ctx context.Context, timeout time.Duration) {
	c := s.cfg.Configured
	if !c.Complete() || s.check.refused != "" {
		return
	}
	check := &configCheck{done: make(chan struct{})}
	s.check = check
	go func() {
		defer close(check.done)
		vctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		err := credentials.Validate(vctx, s.cfg.Transport, c)
		switch {
		case err == nil || ctx.Err() != nil:
		case errors.Is(err, credentials.ErrKeyRejected) || errors.Is(err, credentials.ErrBadKey):
			why := err.Error()
			for _, e := range []error{credentials.ErrKeyRejected, credentials.ErrBadKey} {
				why = strings.TrimPrefix(why, e.Error()+": ")
			}
			check.refused = "the API key from " + orUnknown(s.cfg.ConfiguredKeyFrom) + " was refused: " + credentials.RedactKeys(why, c.APIKey)
			s.log.Warn("configured API key refused; the server stays locked until a session connects", "keyFrom", s.cfg.ConfiguredKeyFrom, "error", check.refused)
		default:
			s.log.Warn("configured credentials did not validate; tools will report the backend's errors", "error", credentials.RedactKeys(err.Error(), c.APIKey))
		}
	}()
}

// configRefused waits for the configured pair's check, while ctx lasts,
// and says why the pair is not used ("" when it is, or still unknown).
func (s *Server) configRefused(ctx context.Context) string {
	select {
	case <-s.check.done:
		return s.check.refused
	case <-ctx.Done():
		return ""
	}
}

// usable is c, or no credentials when c is the configured pair and its
// check refused it (waiting for the check while ctx lasts).
func (s *Server) usable(ctx context.Context, c credentials.Credentials) credentials.Credentials {
	if c.Complete() && c == s.cfg.Configured && s.configRefused(ctx) != "" {
		return credentials.Credentials{}
	}
	return c
}

// configuredInUse reports, without waiting, whether the configured pair
// serves requests: complete, and not (yet) refused.
func (s *Server) configuredInUse() bool {
	if !s.cfg.Configured.Complete() {
		return false
	}
	select {
	case <-s.check.done:
		return s.check.refused == ""
	default:
		return true
	}
}

// refusedNote opens a locked answer when the configuration was refused.
func (s *Server) refusedNote() string {
	select {
	case <-s.check.done:
		if s.check.refused != "" {
			return "This server's configured project is not in use: " + s.check.refused + ". Fix that setting and restart the server, or connect this session instead. "
		}
	default:
	}
	return ""
}

func orUnknown(from string) string {
	if from == "" {
		return "the configuration"
	}
	return from
}
