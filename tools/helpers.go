package tools

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/insforge"
)

// Small helpers shared by the toolsets.

// decodeNumbers decodes a JSON body keeping numbers exact (json.Number),
// so that bigint values survive.
func decodeNumbers(data []byte, v any) error {
	return (&insforge.Response{Body: data}).Decode(v)
}

// send makes one JSON request and decodes the answer with exact numbers.
func send(ctx context.Context, env *Env, method, path string, query url.Values, body, out any) error {
	return doNumbers(ctx, env, insforge.Request{Method: method, Path: path, Query: query, Body: body}, out)
}

// getNumbers is a GET that decodes the answer with exact numbers.
func getNumbers(ctx context.Context, env *Env, path string, query url.Values, out any) error {
	return doNumbers(ctx, env, insforge.Request{Method: http.MethodGet, Path: path, Query: query}, out)
}

func doNumbers(ctx context.Context, env *Env, req insforge.Request, out any) error {
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return err
	}
	return resp.Decode(out)
}

func plural(n int, noun string) string { return pluralNoun(n, noun, noun+"s") }

func pluralNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// checkPage applies def to a zero limit, then checks that limit is 1 to
// maxLimit and offset 0 or more. hint follows the limit error's "(got N)";
// the offset error ends with a period when hint does.
func checkPage(limit, def, maxLimit, offset int, hint string) (int, error) {
	if limit == 0 {
		limit = def
	}
	if limit < 1 || limit > maxLimit {
		return 0, Errorf("limit must be between 1 and %d (got %d)%s", maxLimit, limit, hint)
	}
	if offset < 0 {
		end := ""
		if strings.HasSuffix(hint, ".") {
			end = "."
		}
		return 0, Errorf("offset must be 0 or more (got %d)%s", offset, end)
	}
	return limit, nil
}

// orEmpty returns s, or an empty slice for nil, so that a list shows in the
// structured result as [] rather than null.
func orEmpty[S ~[]E, E any](s S) S {
	if s == nil {
		return S{}
	}
	return s
}
