package insforgefake

import (
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Realtime module: channel patterns, the message log with its stats,
// the RLS permissions of the realtime tables, and the retention config.
//
// Raw SQL may call realtime.publish(channel, event, payload), a PL/pgSQL
// function seeing this module's enabled channels (pg.go): it returns the
// new message's id (uuid), or NULL when no enabled pattern matches.

func registerRealtimeRoutes(s *Server) {
	rt := realtimeOf(s)
	s.handle("GET /api/realtime/channels", accessAdmin, rt.listChannels)
	s.handle("POST /api/realtime/channels", accessAdmin, rt.createChannel)
	s.handle("GET /api/realtime/channels/{id}", accessAdmin, rt.getChannel)
	s.handle("PUT /api/realtime/channels/{id}", accessAdmin, rt.updateChannel)
	s.handle("DELETE /api/realtime/channels/{id}", accessAdmin, rt.deleteChannel)
	s.handle("GET /api/realtime/messages", accessAdmin, rt.listMessages)
	s.handle("DELETE /api/realtime/messages", accessAdmin, rt.clearMessages)
	s.handle("GET /api/realtime/messages/stats", accessAdmin, rt.stats)
	s.handle("GET /api/realtime/permissions", accessAdmin, rt.getPermissions)
	s.handle("GET /api/realtime/config", accessAdmin, rt.getConfig)
	s.handle("PATCH /api/realtime/config", accessAdmin, rt.patchConfig)
	s.setMetadataSection("realtime", func() any {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		return map[string]any{"channels": rt.channelList(), "permissions": rt.permissions()}
	})
}

func realtimeOf(s *Server) *realtimeState {
	return moduleState(s, "realtime", func() *realtimeState { return &realtimeState{} })
}

type realtimeState struct {
	mu        sync.Mutex
	channels  []*rtChannel       // in creation order
	messages  []*RealtimeMessage // oldest first
	retention *int               // nil: keep forever (the default)
	policies  []RealtimePolicy
	clock     time.Time // last timestamp handed out (strictly increasing)
}

type rtChannel struct {
	id          string
	pattern     string
	description *string
	webhookURLs []string // nil: null
	enabled     bool
	createdAt   time.Time
	updatedAt   time.Time
}

// RealtimeMessage is one entry of the realtime message log, in the shape of
// GET /api/realtime/messages.
type RealtimeMessage struct {
	ID               string         `json:"id"`
	EventName        string         `json:"eventName"`
	ChannelID        *string        `json:"channelId"`
	ChannelName      string         `json:"channelName"`
	Payload          map[string]any `json:"payload"`
	SenderType       string         `json:"senderType"` // system or user
	SenderID         *string        `json:"senderId"`
	WSAudienceCount  int            `json:"wsAudienceCount"`
	WHAudienceCount  int            `json:"whAudienceCount"`
	WHDeliveredCount int            `json:"whDeliveredCount"`
	CreatedAt        time.Time      `json:"-"` // set when the message is stored
}

// MarshalJSON adds createdAt as the backend formats it.
func (m RealtimeMessage) MarshalJSON() ([]byte, error) {
	type plain RealtimeMessage
	return marshalJSON(struct {
		plain
		CreatedAt string `json:"createdAt"`
	}{plain(m), isoMillis(m.CreatedAt)}), nil
}

// RealtimePolicy is an RLS policy on realtime.channels (subscribe) or
// realtime.messages (publish), in the shape of GET /api/realtime/permissions.
type RealtimePolicy struct {
	PolicyName string   `json:"policyName"`
	TableName  string   `json:"tableName"` // channels or messages
	Command    string   `json:"command"`   // SELECT, INSERT, ALL, …
	Roles      []string `json:"roles"`
	Using      *string  `json:"using"`
	WithCheck  *string  `json:"withCheck"`
}

// now returns a timestamp later than every one handed out before, so that
// "newest first" orders are stable. rt.mu held.
func (rt *realtimeState) now() time.Time {
	t := time.Now().UTC().Truncate(time.Millisecond)
	if !t.After(rt.clock) {
		t = rt.clock.Add(time.Millisecond)
	}
	rt.clock = t
	return t
}

func (c *rtChannel) json() map[string]any {
	return map[string]any{"id": c.id, "pattern": c.pattern, "description": c.description, "webhookUrls": c.webhookURLs,
		"enabled": c.enabled, "createdAt": isoMillis(c.createdAt), "updatedAt": isoMillis(c.updatedAt)}
}

// channelList is GET /api/realtime/channels: newest first. rt.mu held.
func (rt *realtimeState) channelList() []map[string]any {
	out := []map[string]any{}
	for i := len(rt.channels) - 1; i >= 0; i-- {
		out = append(out, rt.channels[i].json())
	}
	return out
}

// permissions is GET /api/realtime/permissions. rt.mu held.
func (rt *realtimeState) permissions() map[string]any {
	ps := map[string][]RealtimePolicy{"channels": {}, "messages": {}}
	for _, p := range rt.policies {
		ps[p.TableName] = append(ps[p.TableName], p)
	}
	for _, l := range ps {
		sort.SliceStable(l, func(i, j int) bool { return l[i].PolicyName < l[j].PolicyName })
	}
	return map[string]any{"subscribe": map[string]any{"policies": ps["channels"]}, "publish": map[string]any{"policies": ps["messages"]}}
}

// channel finds the channel whose id is the path's id (404 if none). rt.mu held.
func (rt *realtimeState) channel(r *http.Request) (*rtChannel, *APIError) {
	for _, c := range rt.channels {
		if c.id == r.PathValue("id") {
			return c, nil
		}
	}
	return nil, &APIError{Status: 404, Code: "REALTIME_CHANNEL_NOT_FOUND", Message: "Channel not found"}
}

// match is the first enabled channel whose pattern matches name as
// realtime.publish() reads it (a LIKE pattern). rt.mu held.
func (rt *realtimeState) match(name string) *rtChannel {
	for _, c := range rt.channels {
		like := strings.NewReplacer("%", ".*", "_", ".").Replace(regexp.QuoteMeta(c.pattern))
		if ok, _ := regexp.MatchString("^"+like+"$", name); ok && c.enabled {
			return c
		}
	}
	return nil
}

// ---- exported helpers for tests ----

// AddRealtimeChannel registers an enabled channel pattern directly (no
// validation) and returns its id.
func (s *Server) AddRealtimeChannel(pattern string, webhookURLs ...string) string {
	rt := realtimeOf(s)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	now := rt.now()
	c := &rtChannel{id: newUUID(), pattern: pattern, enabled: true, createdAt: now, updatedAt: now}
	if len(webhookURLs) > 0 {
		c.webhookURLs = webhookURLs
	}
	rt.channels = append(rt.channels, c)
	return c.id
}

// AddRealtimeMessage appends m to the message log and returns the stored
// copy. Defaults: a new ID, SenderType "system", an empty payload, and,
// when ChannelID is nil, the id of the enabled pattern that matches
// ChannelName (if any).
func (s *Server) AddRealtimeMessage(m RealtimeMessage) RealtimeMessage {
	rt := realtimeOf(s)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if c := rt.match(m.ChannelName); m.ChannelID == nil && c != nil {
		m.ChannelID = &c.id
	}
	return rt.add(m)
}

// add stores a message, filling in the defaults. rt.mu held.
func (rt *realtimeState) add(m RealtimeMessage) RealtimeMessage {
	if m.ID == "" {
		m.ID = newUUID()
	}
	if m.SenderType == "" {
		m.SenderType = "system"
	}
	if m.Payload == nil {
		m.Payload = map[string]any{}
	}
	m.CreatedAt = rt.now()
	rt.messages = append(rt.messages, &m)
	return m
}

// RealtimeMessages returns a copy of the message log, oldest first.
func (s *Server) RealtimeMessages() []RealtimeMessage {
	rt := realtimeOf(s)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make([]RealtimeMessage, len(rt.messages))
	for i, m := range rt.messages {
		out[i] = *m
	}
	return out
}

// AddRealtimePolicy adds an RLS policy on realtime.channels (TableName
// "channels": subscribe) or realtime.messages ("messages": publish).
func (s *Server) AddRealtimePolicy(p RealtimePolicy) {
	rt := realtimeOf(s)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if p.Roles == nil {
		p.Roles = []string{"public"}
	}
	rt.policies = append(rt.policies, p)
}

// ---- channels ----

// rtChannelInput is the channel create/update body. The tools check the
// pattern rule before sending.
type rtChannelInput struct {
	Pattern, Description *string
	WebhookURLs          *[]string `json:"webhookUrls"`
	Enabled              *bool
}

// patternTaken is the unique constraint on the pattern column. rt.mu held.
func (rt *realtimeState) patternTaken(pattern *string, except *rtChannel) *APIError {
	for _, c := range rt.channels {
		if pattern != nil && c != except && c.pattern == *pattern {
			return (&pgError{Code: "23505", Message: `duplicate key value violates unique constraint "channels_pattern_key"`}).toAPIError()
		}
	}
	return nil
}

func (rt *realtimeState) listChannels(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	writeJSON(w, 200, rt.channelList())
}

func (rt *realtimeState) getChannel(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if c, err := rt.channel(r); err != nil {
		writeError(w, err)
	} else {
		writeJSON(w, 200, c.json())
	}
}

func (rt *realtimeState) createChannel(w http.ResponseWriter, r *http.Request) {
	var in rtChannelInput
	if !bind(w, r, &in) {
		return
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if in.Pattern == nil {
		writeError(w, errInvalidInput("pattern is required"))
		return
	}
	if err := rt.patternTaken(in.Pattern, nil); err != nil {
		writeError(w, err)
		return
	}
	now := rt.now()
	c := &rtChannel{id: newUUID(), pattern: *in.Pattern, enabled: true, createdAt: now, updatedAt: now}
	if in.Description != nil && *in.Description != "" {
		c.description = in.Description
	}
	if in.WebhookURLs != nil && len(*in.WebhookURLs) > 0 {
		c.webhookURLs = *in.WebhookURLs
	}
	set(&c.enabled, in.Enabled)
	rt.channels = append(rt.channels, c)
	writeJSON(w, 201, c.json())
}

func (rt *realtimeState) updateChannel(w http.ResponseWriter, r *http.Request) {
	var in rtChannelInput
	if !bind(w, r, &in) {
		return
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	c, err := rt.channel(r)
	if err == nil {
		err = rt.patternTaken(in.Pattern, c)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	set(&c.pattern, in.Pattern)
	if in.Description != nil {
		c.description = in.Description
	}
	set(&c.webhookURLs, in.WebhookURLs)
	set(&c.enabled, in.Enabled)
	c.updatedAt = rt.now()
	writeJSON(w, 200, c.json())
}

func (rt *realtimeState) deleteChannel(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	c, err := rt.channel(r)
	if err != nil {
		writeError(w, err)
		return
	}
	rt.channels = slices.DeleteFunc(rt.channels, func(x *rtChannel) bool { return x == c })
	writeJSON(w, 200, map[string]any{"message": "Channel deleted"})
}

// ---- messages ----

// forChannel reports whether m is on the channel id ("" matches all).
func (m *RealtimeMessage) forChannel(id string) bool {
	return id == "" || m.ChannelID != nil && *m.ChannelID == id
}

func (rt *realtimeState) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rt.mu.Lock()
	matched := []RealtimeMessage{}
	for i := len(rt.messages) - 1; i >= 0; i-- {
		if m := rt.messages[i]; m.forChannel(q.Get("channelId")) && (q.Get("eventName") == "" || m.EventName == q.Get("eventName")) {
			matched = append(matched, *m)
		}
	}
	rt.mu.Unlock()
	writeJSON(w, 200, pageSlice(matched, queryInt(q, "limit", 100), queryInt(q, "offset", 0)))
}

func (rt *realtimeState) clearMessages(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	n := len(rt.messages)
	rt.messages = nil
	rt.mu.Unlock()
	writeJSON(w, 200, map[string]any{"deleted": n})
}

func (rt *realtimeState) stats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, _ := parseTime(q.Get("since"))
	rt.mu.Lock()
	defer rt.mu.Unlock()
	total, audience, delivered := 0, 0, 0
	counts := map[string]int{}
	for _, m := range rt.messages {
		if m.forChannel(q.Get("channelId")) && !m.CreatedAt.Before(since) {
			total++
			audience += m.WHAudienceCount
			delivered += m.WHDeliveredCount
			counts[m.EventName]++
		}
	}
	tops := []map[string]any{}
	for _, name := range sortedKeys(counts) {
		tops = append(tops, map[string]any{"eventName": name, "count": counts[name]})
	}
	sort.SliceStable(tops, func(i, j int) bool { return tops[i]["count"].(int) > tops[j]["count"].(int) })
	rate := 0.0
	if audience > 0 {
		rate = float64(delivered) / float64(audience)
	}
	writeJSON(w, 200, map[string]any{"totalMessages": total, "whDeliveryRate": rate, "topEvents": tops[:min(len(tops), 10)], "retentionDays": rt.retention})
}

// ---- permissions and config ----

func (rt *realtimeState) getPermissions(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	writeJSON(w, 200, rt.permissions())
}

func (rt *realtimeState) getConfig(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	writeJSON(w, 200, map[string]any{"retentionDays": rt.retention})
}

func (rt *realtimeState) patchConfig(w http.ResponseWriter, r *http.Request) {
	var in struct{ RetentionDays *int } // null: keep forever
	if !bind(w, r, &in) {
		return
	}
	rt.mu.Lock()
	rt.retention = in.RetentionDays
	rt.mu.Unlock()
	writeJSON(w, 200, map[string]any{"message": "Retention config updated successfully"})
}
