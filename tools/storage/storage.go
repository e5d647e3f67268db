// Package storage declares the storage tools: buckets and the objects in
// them (routes under /api/storage/buckets). Moving bytes between this
// machine and a bucket (upload-object, download-object) lives in
// transfer.go.
package storage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// CreateBucketInput are the arguments of create-bucket (official names).
type CreateBucketInput struct {
	BucketName string `json:"bucketName" jsonschema:"required,minLength=1,pattern=^[A-Za-z0-9_-]+$" jsonschema_description:"Part of every object URL."`
	IsPublic   *bool  `json:"isPublic,omitempty" jsonschema:"default=true" jsonschema_description:"true: anyone with a URL can download; false: a credential is needed, RLS applies."`
}

// BucketNameInput names one bucket (delete-bucket, official names).
type BucketNameInput struct {
	BucketName string `json:"bucketName" jsonschema:"required,minLength=1" jsonschema_description:"From list-buckets."`
}

// UpdateBucketInput are the arguments of update-bucket.
type UpdateBucketInput struct {
	BucketName string `json:"bucketName" jsonschema:"required,minLength=1" jsonschema_description:"From list-buckets."`
	IsPublic   bool   `json:"isPublic" jsonschema:"required" jsonschema_description:"false: downloads need a credential; RLS on storage.objects applies."`
}

// ListObjectsInput are the arguments of list-objects.
type ListObjectsInput struct {
	Bucket string `json:"bucket" jsonschema:"required,minLength=1" jsonschema_description:"From list-buckets."`
	Prefix string `json:"prefix,omitempty" jsonschema_description:"Literal key prefix, e.g. a folder avatars/42/."`
	Search string `json:"search,omitempty" jsonschema_description:"Part of the key, case-sensitive."`
	Limit  *int   `json:"limit,omitempty" jsonschema:"minimum=1,maximum=1000,default=100" jsonschema_description:"Objects per page."`
	Offset *int   `json:"offset,omitempty" jsonschema:"minimum=0" jsonschema_description:"Objects to skip."`
}

// DeleteObjectsInput are the arguments of delete-objects.
type DeleteObjectsInput struct {
	Bucket string   `json:"bucket" jsonschema:"required,minLength=1" jsonschema_description:"From list-buckets."`
	Keys   []string `json:"keys" jsonschema:"required,minItems=1,maxItems=1000" jsonschema_description:"Exact keys, from list-objects."`
}

// ObjectURLInput are the arguments of get-object-url.
type ObjectURLInput struct {
	Bucket    string `json:"bucket" jsonschema:"required,minLength=1" jsonschema_description:"From list-buckets."`
	Key       string `json:"key" jsonschema:"required,minLength=1" jsonschema_description:"Exact key, from list-objects."`
	ExpiresIn *int   `json:"expiresIn,omitempty" jsonschema:"minimum=1,maximum=604800,default=3600" jsonschema_description:"Signed-link seconds; private buckets only."`
}

// bucketRE is the backend's rule for bucket names.
var bucketRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// maxExpiry is the longest signed-link lifetime the backend grants (7 days).
const maxExpiry = 604800

// ListBuckets is list-buckets.
func ListBuckets() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-buckets",
		Title:       "List storage buckets",
		Hints:       tools.Read,
		Description: "List the storage buckets and whether each is public.",
	}, listBuckets)
}

// CreateBucket is create-bucket.
func CreateBucket() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "create-bucket",
		Title:       "Create a storage bucket",
		Hints:       tools.Create,
		Description: "Create a storage bucket; isPublic false for personal or sensitive files. Names are unique (see list-buckets).",
	}, createBucket)
}

// UpdateBucket is update-bucket.
func UpdateBucket() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "update-bucket",
		Title:       "Make a bucket public or private",
		Hints:       tools.Change,
		Description: "Make a bucket public or private. Public exposes every object to anyone with its URL: confirm with the user.",
	}, updateBucket)
}

// DeleteBucket is delete-bucket.
func DeleteBucket() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "delete-bucket",
		Title:       "Delete a bucket and its objects",
		Hints:       tools.Remove,
		Description: "Delete a bucket and all its objects, irreversibly; stored URLs break. Confirm with the user first.",
	}, deleteBucket)
}

// ListObjects is list-objects.
func ListObjects() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-objects",
		Title:       "List a bucket's objects",
		Hints:       tools.Read,
		Description: "List a bucket's objects in key order, one page at a time.",
	}, listObjects)
}

// DeleteObjects is delete-objects.
func DeleteObjects() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "delete-objects",
		Title:       "Delete objects from a bucket",
		Hints:       tools.Remove,
		Description: "Delete objects of one bucket by exact key, irreversibly. Also fix the rows storing their keys or URLs.",
	}, deleteObjects)
}

// ObjectURL is get-object-url.
func ObjectURL() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "get-object-url",
		Title: "Get an object's download URL",
		Hints: tools.Read,
		Description: "Get a download URL for one object. InsForge Cloud signs it (public buckets: 7 days); " +
			"self-hosted, it needs a credential unless the bucket is public.",
	}, objectURL)
}

func listBuckets(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	list, _, err := insforge.Call[[]any](ctx, env.Client, insforge.Request{Path: "/api/storage/buckets"})
	if err != nil {
		return nil, err
	}
	list = tools.OrEmpty(list)
	summary := tools.Plural(len(list), "bucket") + "."
	if len(list) == 0 {
		summary = "The project has no storage buckets yet; create one with create-bucket."
	} else {
		summary += " public: true means anyone with an object's URL can download it; false means downloads need a credential."
	}
	return tools.Found(summary, map[string]any{"buckets": list}), nil
}

func createBucket(ctx context.Context, env *tools.Env, in CreateBucketInput) (*tools.Result, error) {
	if err := checkBucket(in.BucketName, "bucketName"); err != nil {
		return nil, err
	}
	public := true
	if in.IsPublic != nil {
		public = *in.IsPublic
	}
	out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{
		Method: http.MethodPost, Path: "/api/storage/buckets",
		Body: map[string]any{"bucketName": in.BucketName, "isPublic": public},
	})
	if err != nil {
		if isCode(err, http.StatusConflict, "") {
			return nil, tools.Errorf("A bucket named %q already exists, so nothing was created. Use it as it is (update-bucket changes its visibility), or choose another name.", in.BucketName)
		}
		return nil, err
	}
	delete(out, "nextActions") // raw HTTP hints meant for curl users
	access := "It is public: anyone with an object's URL can download it. Uploads and deletes still need a credential."
	if !public {
		access = "It is private: downloads need a credential, and RLS policies on storage.objects decide which app users may read or write."
	}
	return tools.Found(fmt.Sprintf("Created bucket %q. %s Upload files with upload-object.", in.BucketName, access), out), nil
}

func updateBucket(ctx context.Context, env *tools.Env, in UpdateBucketInput) (*tools.Result, error) {
	if err := checkBucket(in.BucketName, "bucketName"); err != nil {
		return nil, err
	}
	_, _, err := insforge.Call[struct{}](ctx, env.Client, insforge.Request{
		Method: http.MethodPatch, Path: bucketPath(in.BucketName), Body: map[string]any{"isPublic": in.IsPublic},
	})
	if err != nil {
		return nil, notFound(err, "Bucket %q does not exist, so nothing changed. list-buckets shows the buckets.", in.BucketName)
	}
	if in.IsPublic {
		return tools.Say("Bucket %q is now public: anyone with an object's URL can download it.", in.BucketName), nil
	}
	return tools.Say("Bucket %q is now private: downloads need a credential, and RLS policies on storage.objects decide which app users may read.", in.BucketName), nil
}

func deleteBucket(ctx context.Context, env *tools.Env, in BucketNameInput) (*tools.Result, error) {
	if err := checkBucket(in.BucketName, "bucketName"); err != nil {
		return nil, err
	}
	_, _, err := insforge.Call[struct{}](ctx, env.Client, insforge.Request{Method: http.MethodDelete, Path: bucketPath(in.BucketName)})
	if err != nil {
		return nil, notFound(err, "Bucket %q does not exist, so nothing was deleted. list-buckets shows the buckets.", in.BucketName)
	}
	return tools.Say("Deleted bucket %q and every object in it. Database rows that stored URLs or keys of these objects now point at nothing.", in.BucketName), nil
}

func listObjects(ctx context.Context, env *tools.Env, in ListObjectsInput) (*tools.Result, error) {
	if err := checkBucket(in.Bucket, "bucket"); err != nil {
		return nil, err
	}
	q := url.Values{}
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 1000 {
			return nil, tools.Errorf("limit must be between 1 and 1000, not %d", *in.Limit)
		}
		q.Set("limit", strconv.Itoa(*in.Limit))
	}
	if in.Offset != nil {
		if *in.Offset < 0 {
			return nil, tools.Errorf("offset must be 0 or more, not %d", *in.Offset)
		}
		q.Set("offset", strconv.Itoa(*in.Offset))
	}
	if in.Prefix != "" {
		q.Set("prefix", in.Prefix)
	}
	if in.Search != "" {
		q.Set("search", in.Search)
	}
	out, _, err := insforge.Call[struct {
		Data       []any `json:"data"`
		Pagination struct {
			Offset int `json:"offset"`
			Limit  int `json:"limit"`
			Total  int `json:"total"`
		} `json:"pagination"`
	}](ctx, env.Client, insforge.Request{Path: bucketPath(in.Bucket) + "/objects", Query: q})
	if err != nil {
		return nil, err
	}
	out.Data = tools.OrEmpty(out.Data)
	for _, o := range out.Data {
		if m, ok := o.(map[string]any); ok {
			oneName(m, "mimeType", "mime_type")
			oneName(m, "uploadedAt", "uploaded_at")
		}
	}
	p := out.Pagination
	filter := ""
	if in.Prefix != "" {
		filter += fmt.Sprintf(" with prefix %q", in.Prefix)
	}
	if in.Search != "" {
		filter += fmt.Sprintf(" containing %q", in.Search)
	}
	var summary string
	switch {
	case p.Total == 0:
		// The backend answers an empty list for a bucket that does not
		// exist, as for an empty one: tell the two cases apart.
		if exists, err := bucketExists(ctx, env, in.Bucket); err == nil && !exists {
			return nil, tools.Errorf("Bucket %q does not exist (the backend lists it as empty). list-buckets shows the buckets; create-bucket makes one.", in.Bucket)
		}
		summary = fmt.Sprintf("Bucket %q has no objects%s.", in.Bucket, filter)
	case len(out.Data) == 0:
		summary = fmt.Sprintf("Bucket %q has %s%s; offset %d is past the end (use a smaller offset).", in.Bucket, tools.Plural(p.Total, "object"), filter, p.Offset)
	default:
		last := p.Offset + len(out.Data)
		summary = fmt.Sprintf("Objects %d-%d of %d%s in bucket %q, ordered by key.", p.Offset+1, last, p.Total, filter, in.Bucket)
		summary += " Use the key to download, replace or delete an object; the url is for display."
	}
	r := tools.Found(summary, map[string]any{"bucket": in.Bucket, "objects": out.Data, "pagination": out.Pagination})
	if len(out.Data) > 0 {
		r.Page = tools.OffsetPage("objects", p.Offset, len(out.Data), p.Total, p.Limit, fmt.Sprintf("Next page: offset=%%d (limit %d).", p.Limit), "This is the last page.")
	}
	return r, nil
}

// oneName keeps a field under the file object's name only: the backend's
// list spreads the storage row into each entry, so that some fields come
// twice, under a camelCase and a snake_case name.
func oneName(m map[string]any, camel, snake string) {
	if v, ok := m[snake]; ok {
		if m[camel] == nil {
			m[camel] = v
		}
		delete(m, snake)
	}
}

func deleteObjects(ctx context.Context, env *tools.Env, in DeleteObjectsInput) (*tools.Result, error) {
	if err := checkBucket(in.Bucket, "bucket"); err != nil {
		return nil, err
	}
	if len(in.Keys) == 0 || len(in.Keys) > 1000 {
		return nil, tools.Errorf("keys must list 1 to 1000 object keys, not %d; split larger deletions into several calls", len(in.Keys))
	}
	for i, k := range in.Keys {
		if err := checkKey(k, fmt.Sprintf("keys[%d]", i)); err != nil {
			return nil, err
		}
	}
	out, _, err := insforge.Call[struct {
		Results []deleteResult `json:"results"`
	}](ctx, env.Client, insforge.Request{
		Method: http.MethodDelete, Path: bucketPath(in.Bucket) + "/objects", Body: map[string]any{"keys": in.Keys},
	})
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, r := range out.Results {
		counts[r.Status]++
	}
	summary := fmt.Sprintf("Deleted %d of %s from bucket %q.", counts["deleted"], tools.Plural(len(out.Results), "key"), in.Bucket)
	if n := counts["notFound"]; n > 0 {
		summary += fmt.Sprintf(" %d did not exist (notFound): check the exact keys with list-objects.", n)
	}
	if n := counts["failed"]; n > 0 {
		summary += fmt.Sprintf(" %d failed in the storage provider (see message); retry those keys.", n)
	}
	out.Results = tools.OrEmpty(out.Results)
	return tools.Found(summary, map[string]any{"bucket": in.Bucket, "results": out.Results}), nil
}

// deleteResult is the outcome for one key of delete-objects.
type deleteResult struct {
	Key     string `json:"key"`
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// downloadStrategy is the answer of the download-strategy route.
type downloadStrategy struct {
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	ExpiresAt any               `json:"expiresAt,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
}

// fetchStrategy asks how to download bucket/key.
func fetchStrategy(ctx context.Context, env *tools.Env, bucket, key string, expiresIn *int) (downloadStrategy, error) {
	var q url.Values
	if expiresIn != nil {
		q = url.Values{"expiresIn": {strconv.Itoa(*expiresIn)}}
	}
	s, _, err := insforge.Call[downloadStrategy](ctx, env.Client, insforge.Request{
		Path: bucketPath(bucket) + "/download-strategy/objects/" + escapeKey(key), Query: q,
	})
	if err != nil {
		return s, notFound(err, "There is no object %q in bucket %q (or no such bucket). Keys are exact and case-sensitive: find it with list-objects (prefix helps).", key, bucket)
	}
	if s.URL == "" {
		return s, fmt.Errorf("the backend's download strategy for %s/%s has no url", bucket, key)
	}
	return s, nil
}

func objectURL(ctx context.Context, env *tools.Env, in ObjectURLInput) (*tools.Result, error) {
	if err := checkBucket(in.Bucket, "bucket"); err != nil {
		return nil, err
	}
	if err := checkKey(in.Key, "key"); err != nil {
		return nil, err
	}
	if in.ExpiresIn != nil && (*in.ExpiresIn < 1 || *in.ExpiresIn > maxExpiry) {
		return nil, tools.Errorf("expiresIn must be between 1 and %d seconds (7 days), not %d", maxExpiry, *in.ExpiresIn)
	}
	s, err := fetchStrategy(ctx, env, in.Bucket, in.Key, in.ExpiresIn)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"bucket": in.Bucket, "key": in.Key, "method": s.Method, "url": s.URL}
	if s.ExpiresAt != nil {
		out["expiresAt"] = s.ExpiresAt
	}
	if len(s.Headers) > 0 {
		out["headers"] = s.Headers
	}
	var summary string
	if s.Method == "presigned" {
		summary = fmt.Sprintf("Signed download link for %q in bucket %q: anyone with it can download the object until expiresAt, without a credential.", in.Key, in.Bucket)
		if len(s.Headers) > 0 {
			summary += " Send the listed headers with the request."
		}
	} else {
		// A direct link is the backend's own download route. Its origin is
		// the backend's configured API base URL, which may differ from the
		// URL this server uses (http://localhost:7130 by default): rebase
		// it onto the project URL so that it works from where we stand.
		out["url"] = onProject(env, s.URL)
		summary = fmt.Sprintf("Direct download link for %q in bucket %q (this backend does not sign links, so it does not expire).", in.Key, in.Bucket)
		public, err := bucketPublic(ctx, env, in.Bucket)
		switch {
		case err == nil && public:
			summary += " The bucket is public, so the link works without a credential, for example in an <img> tag."
		case err == nil:
			summary += " The bucket is private, so the link only works with a credential (Authorization: Bearer …); in app code download it with the SDK, or make the bucket public with update-bucket if it is meant to be shared."
		default:
			summary += " It works without a credential only if the bucket is public."
		}
	}
	return tools.Found(summary, out), nil
}

// ---- helpers ----

// checkBucket rejects bucket names the backend would refuse.
func checkBucket(name, arg string) error {
	if !bucketRE.MatchString(name) {
		return tools.Errorf("%s %q is not a valid bucket name: use only letters, digits, _ and - (no dots, spaces or slashes). list-buckets shows the existing buckets.", arg, name)
	}
	return nil
}

// checkKey rejects object keys the backend would refuse.
func checkKey(key, arg string) error {
	switch {
	case key == "":
		return tools.Errorf("%s is empty: give the object's key, for example avatars/42/photo.png", arg)
	case strings.HasPrefix(key, "/"):
		return tools.Errorf("%s %q starts with \"/\", which object keys may not; drop the leading slash (%q)", arg, key, strings.TrimLeft(key, "/"))
	case strings.Contains(key, ".."):
		return tools.Errorf("%s %q contains \"..\", which object keys may not; use a key without it", arg, key)
	}
	return nil
}

// bucketPath is /api/storage/buckets/{bucket}.
func bucketPath(bucket string) string {
	return "/api/storage/buckets/" + url.PathEscape(bucket)
}

// escapeKey escapes each segment of an object key and keeps its
// slashes, for the backend's wildcard routes (objects/*).
func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// isCode reports whether err is a JSON backend error with this
// status (and this code, when code is not empty).
func isCode(err error, status int, code string) bool {
	var ae *insforge.Error
	return errors.As(err, &ae) && ae.Status == status && !ae.NotJSON && (code == "" || ae.Code == code)
}

// notFound replaces the backend's JSON 404 with a message that says
// what to do; an HTML 404 (no such route) passes through.
func notFound(err error, format string, args ...any) error {
	if isCode(err, http.StatusNotFound, "") {
		return tools.Errorf(format, args...)
	}
	return err
}

// buckets lists the buckets (name and public flag).
func buckets(ctx context.Context, env *tools.Env) (map[string]bool, error) {
	list, _, err := insforge.Call[[]struct {
		Name   string `json:"name"`
		Public bool   `json:"public"`
	}](ctx, env.Client, insforge.Request{Path: "/api/storage/buckets", Whole: true}) // a cut list would hide a bucket
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(list))
	for _, b := range list {
		out[b.Name] = b.Public
	}
	return out, nil
}

func bucketExists(ctx context.Context, env *tools.Env, bucket string) (bool, error) {
	all, err := buckets(ctx, env)
	if err != nil {
		return false, err
	}
	_, ok := all[bucket]
	return ok, nil
}

func bucketPublic(ctx context.Context, env *tools.Env, bucket string) (bool, error) {
	all, err := buckets(ctx, env)
	if err != nil {
		return false, err
	}
	public, ok := all[bucket]
	if !ok {
		return false, fmt.Errorf("bucket %s not listed", bucket)
	}
	return public, nil
}

// onProject moves a URL of the backend's own API onto the project
// URL this server talks to (same path and query). Other URLs are returned
// unchanged.
func onProject(env *tools.Env, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || !strings.HasPrefix(u.EscapedPath(), "/api/storage/") {
		return raw
	}
	target := env.Client.BaseURL() + u.EscapedPath()
	if u.RawQuery != "" {
		target += "?" + u.RawQuery
	}
	return target
}
