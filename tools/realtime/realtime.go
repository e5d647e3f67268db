// Package realtime declares the realtime toolset's tools: channel patterns
// (/api/realtime/channels), the message log, its statistics and retention
// (/api/realtime/messages, /api/realtime/messages/stats,
// /api/realtime/config), the RLS permissions of the realtime tables
// (/api/realtime/permissions), and server-side publishing through
// realtime.publish() run as SQL (/api/database/advance/rawsql).
package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

const (
	defaultMessageLimit = 100
	maxMessageLimit     = 1000
)

// patternRE is the backend's channel pattern rule: a first segment of
// letters, digits and hyphens, then ':'-separated segments that may also
// hold the '%' wildcard. '_' is refused because it is a LIKE wildcard.
var patternRE = regexp.MustCompile(`^[a-zA-Z0-9-]+(:[a-zA-Z0-9%:-]+)*$`)

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ChannelIDInput names one channel pattern by id.
type ChannelIDInput struct {
	ID string `json:"id" jsonschema:"required,minLength=1" jsonschema_description:"UUID from list-channels."`
}

// CreateChannelInput are the arguments of create-channel.
type CreateChannelInput struct {
	Pattern     string   `json:"pattern" jsonschema:"required,minLength=1" jsonschema_description:"Letters, digits, '-'; ':' separates segments; '%' is a wildcard after the first segment; no '_'. E.g. lobby, order:%, chat:%:messages."`
	Description string   `json:"description,omitempty" jsonschema_description:"For people reading the dashboard."`
	WebhookURLs []string `json:"webhookUrls,omitempty" jsonschema_description:"http(s) URLs each event is POSTed to."`
	Enabled     *bool    `json:"enabled,omitempty" jsonschema:"default=true" jsonschema_description:"Allow subscribing and delivery."`
}

// UpdateChannelInput are the arguments of update-channel.
type UpdateChannelInput struct {
	ID          string   `json:"id" jsonschema:"required,minLength=1" jsonschema_description:"UUID from list-channels."`
	Pattern     string   `json:"pattern,omitempty" jsonschema_description:"Rules as in create-channel."`
	Description *string  `json:"description,omitempty" jsonschema_description:"Replaces it; \"\" blanks it."`
	WebhookURLs []string `json:"webhookUrls,omitempty" jsonschema_description:"Replaces the list; [] removes all."`
	Enabled     *bool    `json:"enabled,omitempty" jsonschema_description:"false pauses the pattern."`
}

// MessagesInput are the arguments of list-realtime-messages.
type MessagesInput struct {
	ChannelID string `json:"channelId,omitempty" jsonschema_description:"Pattern UUID from list-channels, not a channel name."`
	EventName string `json:"eventName,omitempty" jsonschema_description:"Exact event name."`
	Limit     *int   `json:"limit,omitempty" jsonschema:"minimum=1,maximum=1000,default=100" jsonschema_description:"Messages per page."`
	Offset    *int   `json:"offset,omitempty" jsonschema:"minimum=0" jsonschema_description:"Messages to skip."`
}

// StatsInput are the arguments of get-realtime-message-stats.
type StatsInput struct {
	ChannelID string `json:"channelId,omitempty" jsonschema_description:"Pattern UUID from list-channels."`
	Since     string `json:"since,omitempty" jsonschema_description:"Date (2026-01-31) or RFC 3339 time."`
}

// UpdateConfigInput are the arguments of update-realtime-config.
type UpdateConfigInput struct {
	RetentionDays *int `json:"retentionDays,omitempty" jsonschema:"minimum=1" jsonschema_description:"Days to keep messages; null keeps them forever."`
	KeepForever   bool `json:"keepForever,omitempty" jsonschema_description:"true (without retentionDays) keeps them forever."`

	retentionNull bool // retentionDays was sent as an explicit null
}

// UnmarshalJSON notes an explicit "retentionDays": null, which means "keep
// forever" rather than "not given".
func (in *UpdateConfigInput) UnmarshalJSON(data []byte) error {
	type plain UpdateConfigInput
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*in = UpdateConfigInput(p)
	if v, ok := raw["retentionDays"]; ok && string(bytes.TrimSpace(v)) == "null" {
		in.retentionNull = true
	}
	return nil
}

// EventPayload is a JSON object whose numbers are kept exact.
type EventPayload map[string]any

// UnmarshalJSON keeps numbers as json.Number so that large integers survive.
func (p *EventPayload) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	*p = m
	return nil
}

// PublishInput are the arguments of publish-realtime-event.
type PublishInput struct {
	Channel string       `json:"channel" jsonschema:"required,minLength=1" jsonschema_description:"Concrete name, e.g. order:42."`
	Event   string       `json:"event" jsonschema:"required,minLength=1" jsonschema_description:"Name subscribers listen for."`
	Payload EventPayload `json:"payload" jsonschema:"required" jsonschema_description:"JSON object every subscriber receives: leave out private fields."`
}

const publishSQL = "SELECT realtime.publish($1, $2, $3::jsonb) AS message_id"

// ListChannels is list-channels.
func ListChannels() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-channels",
		Title:       "List channel patterns",
		Hints:       tools.Read,
		Description: "List realtime channel patterns; clients may subscribe only to names matching an enabled one.",
	}, listChannels)
}

// Channel is get-channel.
func Channel() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-channel",
		Title:       "Get a channel pattern",
		Hints:       tools.Read,
		Description: "Read one realtime channel pattern and its webhook URLs.",
	}, getChannel)
}

// CreateChannel is create-channel.
func CreateChannel() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "create-channel",
		Title:       "Create a channel pattern",
		Hints:       tools.Create,
		Description: "Register a realtime channel pattern; clients may subscribe only to names matching an enabled one. Create it before app code subscribes.",
	}, createChannel)
}

// UpdateChannel is update-channel.
func UpdateChannel() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "update-channel",
		Title:       "Update a channel pattern",
		Hints:       tools.Change,
		Description: "Change a realtime channel pattern; omitted fields are kept.",
	}, updateChannel)
}

// DeleteChannel is delete-channel.
func DeleteChannel() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "delete-channel",
		Title:       "Delete a channel pattern",
		Hints:       tools.Remove,
		Description: "Delete a realtime channel pattern; names no other pattern matches stop working. To pause instead, use update-channel.",
	}, deleteChannel)
}

// PublishEvent is publish-realtime-event.
func PublishEvent() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "publish-realtime-event",
		Title:       "Publish a realtime event",
		Hints:       tools.Create,
		Description: "Publish an event server-side (realtime.publish()): logged, sent to subscribers and webhooks. The channel must match an enabled pattern, else nothing happens.",
	}, publishEvent)
}

// ListMessages is list-realtime-messages.
func ListMessages() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-realtime-messages",
		Title:       "List realtime messages",
		Hints:       tools.Read,
		Description: "List logged realtime events, newest first, with how many WebSocket clients and webhooks received each.",
	}, listMessages)
}

// DeleteMessages is delete-realtime-messages.
func DeleteMessages() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "delete-realtime-messages",
		Title:       "Clear realtime messages",
		Hints:       tools.Remove,
		Description: "Delete every realtime message of every channel, irreversibly. For automatic trimming use update-realtime-config.",
	}, deleteMessages)
}

// MessageStats is get-realtime-message-stats.
func MessageStats() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-realtime-message-stats",
		Title:       "Get realtime message stats",
		Hints:       tools.Read,
		Description: "Count logged realtime messages, with top event names and the webhook delivery rate (0-1; low means failing webhooks).",
	}, messageStats)
}

// Permissions is get-realtime-permissions.
func Permissions() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-realtime-permissions",
		Title:       "Get realtime permissions",
		Hints:       tools.Read,
		Description: "Read the RLS policies on realtime.channels (subscribe) and realtime.messages (client publish). None usually means RLS is off: anyone with the anon key may use enabled channels.",
	}, permissions)
}

// Config is get-realtime-config.
func Config() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-realtime-config",
		Title:       "Get realtime retention",
		Hints:       tools.Read,
		Description: "Read how long realtime messages are kept: retentionDays, or null for forever (the default).",
	}, config)
}

// UpdateConfig is update-realtime-config.
func UpdateConfig() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "update-realtime-config",
		Title:       "Set realtime retention",
		Hints:       tools.Change,
		Description: "Set how long realtime messages are logged; older ones are purged periodically. Delivery is unaffected.",
	}, updateConfig)
}

func listChannels(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	channels, _, err := insforge.Call[[]any](ctx, env.Client, insforge.Request{Path: "/api/realtime/channels"})
	if err != nil {
		return nil, err
	}
	channels = tools.OrEmpty(channels)
	summary := tools.PluralNoun(len(channels), "channel pattern", "channel patterns") + "."
	if len(channels) == 0 {
		summary = "No channel patterns yet: clients cannot subscribe to any channel until you add one with create-channel."
	}
	return tools.Found(summary, map[string]any{"channels": channels}), nil
}

func getChannel(ctx context.Context, env *tools.Env, in ChannelIDInput) (*tools.Result, error) {
	if err := checkID("id", in.ID); err != nil {
		return nil, err
	}
	ch, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: channelPath(in.ID)})
	if err != nil {
		return nil, channelMissing(err, in.ID)
	}
	return tools.Found(fmt.Sprintf("Channel pattern %s (%s).", in.ID, enabledWord(ch["enabled"])), ch), nil
}

func createChannel(ctx context.Context, env *tools.Env, in CreateChannelInput) (*tools.Result, error) {
	if err := checkPattern(in.Pattern); err != nil {
		return nil, err
	}
	if err := checkWebhooks(in.WebhookURLs); err != nil {
		return nil, err
	}
	body := map[string]any{"pattern": in.Pattern}
	if in.Description != "" {
		body["description"] = in.Description
	}
	if in.WebhookURLs != nil {
		body["webhookUrls"] = in.WebhookURLs
	}
	if in.Enabled != nil {
		body["enabled"] = *in.Enabled
	}
	ch, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/realtime/channels", Body: body})
	if err != nil {
		return nil, patternTaken(err, in.Pattern)
	}
	id, _ := ch["id"].(string)
	summary := fmt.Sprintf("Channel pattern %s is created with id %s (%s).", in.Pattern, id, enabledWord(ch["enabled"]))
	if strings.Contains(in.Pattern, "%") {
		summary += " Clients can subscribe to any name that matches it, for example " + example(in.Pattern) + "."
	}
	summary += " Subscribing and publishing are open to the anon key unless RLS policies say otherwise (get-realtime-permissions)."
	return tools.Found(summary, ch), nil
}

func updateChannel(ctx context.Context, env *tools.Env, in UpdateChannelInput) (*tools.Result, error) {
	if err := checkID("id", in.ID); err != nil {
		return nil, err
	}
	body := map[string]any{}
	if in.Pattern != "" {
		if err := checkPattern(in.Pattern); err != nil {
			return nil, err
		}
		body["pattern"] = in.Pattern
	}
	if in.Description != nil {
		body["description"] = *in.Description
	}
	if in.WebhookURLs != nil {
		if err := checkWebhooks(in.WebhookURLs); err != nil {
			return nil, err
		}
		body["webhookUrls"] = in.WebhookURLs
	}
	if in.Enabled != nil {
		body["enabled"] = *in.Enabled
	}
	if len(body) == 0 {
		return nil, tools.Errorf("Nothing to update: give at least one of pattern, description, webhookUrls or enabled with the id. Nothing was sent.")
	}
	ch, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Method: http.MethodPut, Path: channelPath(in.ID), Body: body})
	if err != nil {
		err = channelMissing(err, in.ID)
		return nil, patternTaken(err, in.Pattern)
	}
	fields := make([]string, 0, len(body))
	for _, k := range []string{"pattern", "description", "webhookUrls", "enabled"} {
		if _, ok := body[k]; ok {
			fields = append(fields, k)
		}
	}
	pattern, _ := ch["pattern"].(string)
	return tools.Found(fmt.Sprintf("Channel pattern %s (%s) is updated: %s. It is now %s.", in.ID, pattern, strings.Join(fields, ", "), enabledWord(ch["enabled"])), ch), nil
}

func deleteChannel(ctx context.Context, env *tools.Env, in ChannelIDInput) (*tools.Result, error) {
	if err := checkID("id", in.ID); err != nil {
		return nil, err
	}
	out, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Method: http.MethodDelete, Path: channelPath(in.ID)})
	if err != nil {
		return nil, channelMissing(err, in.ID)
	}
	return tools.Found(fmt.Sprintf("Channel pattern %s is deleted. Its past messages stay in the log with channelId null.", in.ID), out), nil
}

func publishEvent(ctx context.Context, env *tools.Env, in PublishInput) (*tools.Result, error) {
	if strings.TrimSpace(in.Channel) == "" || strings.TrimSpace(in.Event) == "" {
		return nil, tools.Errorf("channel and event must not be blank. Nothing was published.")
	}
	if in.Payload == nil {
		return nil, tools.Errorf("payload must be a JSON object, for example {\"id\":42}; send {} for an event without data. Nothing was published.")
	}
	payload, err := json.Marshal(map[string]any(in.Payload))
	if err != nil {
		return nil, tools.Errorf("payload cannot be encoded as JSON: %v. Nothing was published.", err)
	}
	body := map[string]any{
		"query":  publishSQL,
		"params": []any{in.Channel, in.Event, string(payload)},
	}
	out, _, err := insforge.Call[struct {
		Rows []map[string]any `json:"rows"`
	}](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/database/advance/rawsql", Body: body})
	if err != nil {
		return nil, err
	}
	var id any
	if len(out.Rows) > 0 {
		id = out.Rows[0]["message_id"]
	}
	if id == nil {
		return nil, tools.Errorf("Nothing was published: no enabled channel pattern matches %q, so realtime.publish() stored and delivered nothing. "+
			"Check list-channels; create a matching pattern (for example %s) with create-channel, or enable the existing one with update-channel, then publish again.",
			in.Channel, suggestPattern(in.Channel))
	}
	return tools.Found(fmt.Sprintf("Event %q is published on channel %s: it is stored in the message log and delivered to the channel's current subscribers and webhooks. See it with list-realtime-messages.", in.Event, in.Channel),
		map[string]any{"messageId": id, "channel": in.Channel, "event": in.Event}), nil
}

func listMessages(ctx context.Context, env *tools.Env, in MessagesInput) (*tools.Result, error) {
	q := url.Values{}
	if in.ChannelID != "" {
		if err := checkID("channelId", in.ChannelID); err != nil {
			return nil, err
		}
		q.Set("channelId", in.ChannelID)
	}
	if in.EventName != "" {
		q.Set("eventName", in.EventName)
	}
	limit := defaultMessageLimit
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > maxMessageLimit {
			return nil, tools.Errorf("limit must be between 1 and %d (got %d).", maxMessageLimit, *in.Limit)
		}
		limit = *in.Limit
	}
	offset := 0
	if in.Offset != nil {
		if *in.Offset < 0 {
			return nil, tools.Errorf("offset must be 0 or more (got %d).", *in.Offset)
		}
		offset = *in.Offset
	}
	q.Set("limit", strconv.Itoa(limit))
	q.Set("offset", strconv.Itoa(offset))
	msgs, _, err := insforge.Call[[]any](ctx, env.Client, insforge.Request{Path: "/api/realtime/messages", Query: q})
	if err != nil {
		return nil, err
	}
	msgs = tools.OrEmpty(msgs)
	summary := tools.PluralNoun(len(msgs), "message", "messages") + ", newest first"
	if offset > 0 {
		summary += fmt.Sprintf(", after skipping %d", offset)
	}
	summary += "."
	if len(msgs) == 0 && offset == 0 {
		summary = "No messages match. Events appear here once something publishes to a channel that matches an enabled pattern."
	}
	r := tools.Found(summary, map[string]any{"messages": msgs, "limit": limit, "offset": offset})
	r.Page = tools.OffsetPage("messages", offset, len(msgs), -1, limit, "There may be more: call again with offset %d.", "")
	return r, nil
}

func deleteMessages(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	out, _, err := insforge.Call[struct {
		Deleted *json.Number `json:"deleted"`
	}](ctx, env.Client, insforge.Request{Method: http.MethodDelete, Path: "/api/realtime/messages"})
	if err != nil {
		return nil, err
	}
	n := json.Number("0")
	if out.Deleted != nil {
		n = *out.Deleted
	}
	return tools.Found(fmt.Sprintf("Deleted %s from the realtime message log.", numberCount(n, "message", "messages")),
		map[string]any{"deleted": n}), nil
}

func messageStats(ctx context.Context, env *tools.Env, in StatsInput) (*tools.Result, error) {
	q := url.Values{}
	if in.ChannelID != "" {
		if err := checkID("channelId", in.ChannelID); err != nil {
			return nil, err
		}
		q.Set("channelId", in.ChannelID)
	}
	if in.Since != "" {
		t, ok := parseDate(in.Since)
		if !ok {
			return nil, tools.Errorf("since %q is not a date: use 2026-01-31 or an RFC 3339 timestamp such as 2026-01-31T12:00:00Z.", in.Since)
		}
		q.Set("since", t.UTC().Format(time.RFC3339))
	}
	stats, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: "/api/realtime/messages/stats", Query: q})
	if err != nil {
		return nil, err
	}
	total, _ := stats["totalMessages"].(json.Number)
	if total == "" {
		total = "0"
	}
	summary := numberCount(total, "message", "messages")
	if in.ChannelID != "" {
		summary += " on channel pattern " + in.ChannelID
	}
	if in.Since != "" {
		summary += " since " + in.Since
	}
	summary += "."
	if rate, ok := stats["whDeliveryRate"].(json.Number); ok {
		if f, err := rate.Float64(); err == nil && total != "0" {
			summary += fmt.Sprintf(" Webhook delivery rate: %.0f%%.", f*100)
		}
	}
	return tools.Found(summary, stats), nil
}

func permissions(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	out, _, err := insforge.Call[struct {
		Subscribe struct {
			Policies []any `json:"policies"`
		} `json:"subscribe"`
		Publish struct {
			Policies []any `json:"policies"`
		} `json:"publish"`
	}](ctx, env.Client, insforge.Request{Path: "/api/realtime/permissions"})
	if err != nil {
		return nil, err
	}
	out.Subscribe.Policies = tools.OrEmpty(out.Subscribe.Policies)
	out.Publish.Policies = tools.OrEmpty(out.Publish.Policies)
	ns, np := len(out.Subscribe.Policies), len(out.Publish.Policies)
	summary := fmt.Sprintf("%s on realtime.channels (subscribe), %s on realtime.messages (publish).",
		tools.PluralNoun(ns, "policy", "policies"), tools.PluralNoun(np, "policy", "policies"))
	if ns == 0 && np == 0 {
		summary += " With no policies and RLS off (the default), anyone with the anon key can subscribe and publish to every enabled channel; if RLS was enabled on these tables, only the admin can. Add policies with run-raw-sql."
	}
	return tools.Found(summary, map[string]any{
		"subscribe": map[string]any{"policies": out.Subscribe.Policies},
		"publish":   map[string]any{"policies": out.Publish.Policies},
	}), nil
}

func config(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	out, _, err := insforge.Call[struct {
		RetentionDays *json.Number `json:"retentionDays"`
	}](ctx, env.Client, insforge.Request{Path: "/api/realtime/config"})
	if err != nil {
		return nil, err
	}
	return tools.Found(retentionSentence(out.RetentionDays), map[string]any{"retentionDays": out.RetentionDays}), nil
}

func updateConfig(ctx context.Context, env *tools.Env, in UpdateConfigInput) (*tools.Result, error) {
	var days any
	switch {
	case in.RetentionDays != nil && in.KeepForever:
		return nil, tools.Errorf("Give either retentionDays (a number of days) or keepForever true, not both. Nothing was changed.")
	case in.RetentionDays != nil:
		if *in.RetentionDays < 1 {
			return nil, tools.Errorf("retentionDays must be a positive number of days (got %d); use keepForever true to keep messages forever. Nothing was changed.", *in.RetentionDays)
		}
		days = *in.RetentionDays
	case in.KeepForever || in.retentionNull:
		days = nil
	default:
		return nil, tools.Errorf("Give retentionDays (a positive number of days) or keepForever true. Nothing was changed.")
	}
	out, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Method: http.MethodPatch, Path: "/api/realtime/config", Body: map[string]any{"retentionDays": days}})
	if err != nil {
		return nil, err
	}
	summary := "Realtime messages are now kept forever."
	if days != nil {
		summary = fmt.Sprintf("Realtime messages are now kept for %s; older ones are deleted by the periodic cleanup.", tools.PluralNoun(days.(int), "day", "days"))
	}
	return tools.Found(summary, map[string]any{"retentionDays": days, "response": out}), nil
}

// ---- helpers ----

func channelPath(id string) string { return "/api/realtime/channels/" + url.PathEscape(id) }

func checkID(field, id string) error {
	if !uuidRE.MatchString(id) {
		return tools.Errorf("%s %q is not a channel id: ids are uuids such as 3f2b6c1e-8d4a-4f5e-9b7c-2a1d0e9f8c7b. Call list-channels to find the id of a pattern. Nothing was sent.", field, id)
	}
	return nil
}

func checkPattern(p string) error {
	if patternRE.MatchString(p) {
		return nil
	}
	why := ""
	switch {
	case strings.Contains(p, "_"):
		why = " '_' is not allowed (it is a SQL wildcard); use '-' instead."
	case strings.ContainsAny(p, " \t"):
		why = " Spaces are not allowed."
	case strings.HasPrefix(p, "%") || (strings.Contains(p, "%") && !strings.Contains(p, ":")):
		why = " The '%' wildcard may only appear after the first ':', as in order:%."
	case strings.HasPrefix(p, ":") || strings.HasSuffix(p, ":"):
		why = " A pattern cannot start or end with ':'."
	}
	return tools.Errorf("Invalid channel pattern %q: use letters, digits and '-', ':' between segments, and '%%' as a wildcard after the first segment (for example lobby, order:%%, chat:%%:messages).%s Nothing was sent.", p, why)
}

func checkWebhooks(urls []string) error {
	for i, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return tools.Errorf("webhookUrls[%d] %q is not an absolute http(s) URL such as https://example.com/hooks/realtime. Nothing was sent.", i, raw)
		}
	}
	return nil
}

// channelMissing turns 404 REALTIME_CHANNEL_NOT_FOUND into advice.
func channelMissing(err error, id string) error {
	var ae *insforge.Error
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound && !ae.NotJSON && ae.Code == "REALTIME_CHANNEL_NOT_FOUND" {
		return tools.Errorf("No channel pattern has id %s (it was deleted, or the id is wrong). Call list-channels to see the current ids.", id)
	}
	return err
}

// patternTaken turns the unique violation on the pattern into advice.
func patternTaken(err error, pattern string) error {
	var ae *insforge.Error
	if pattern != "" && errors.As(err, &ae) && ae.Status == http.StatusConflict {
		return tools.Errorf("A channel pattern %q already exists (patterns are unique). Find it with list-channels and change it with update-channel instead.", pattern)
	}
	return err
}

func enabledWord(v any) string {
	if b, ok := v.(bool); ok && !b {
		return "disabled"
	}
	return "enabled"
}

// example shows one concrete name a wildcard pattern matches.
func example(pattern string) string { return strings.ReplaceAll(pattern, "%", "42") }

// suggestPattern proposes a wildcard pattern for a concrete channel name:
// order:42 → order:%, lobby → lobby.
func suggestPattern(channel string) string {
	if i := strings.Index(channel, ":"); i > 0 {
		return channel[:i] + ":%"
	}
	return channel
}

func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func retentionSentence(days *json.Number) string {
	if days == nil {
		return "Realtime messages are kept forever (retentionDays is null)."
	}
	return fmt.Sprintf("Realtime messages are kept for %s days, then deleted by the periodic cleanup.", days.String())
}

func numberCount(n json.Number, one, many string) string {
	if n.String() == "1" {
		return "1 " + one
	}
	return n.String() + " " + many
}
