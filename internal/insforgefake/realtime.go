package insforgefake

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
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

// ---- per-server module state ----

func realtimeOf(s *Server) *realtimeState {
	return moduleState(s, "realtime", func() *realtimeState { return &realtimeState{} })
}

type realtimeState struct {
	mu        sync.Mutex
	channels  []*rtChannel // in creation order
	messages  []*RealtimeMessage
	retention *int // nil: keep forever (the default)
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
	CreatedAt        time.Time      `json:"-"`
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
	var hooks any
	if c.webhookURLs != nil {
		hooks = append([]string{}, c.webhookURLs...)
	}
	var desc any
	if c.description != nil {
		desc = *c.description
	}
	return map[string]any{
		"id":          c.id,
		"pattern":     c.pattern,
		"description": desc,
		"webhookUrls": hooks,
		"enabled":     c.enabled,
		"createdAt":   isoMillis(c.createdAt),
		"updatedAt":   isoMillis(c.updatedAt),
	}
}

func (m *RealtimeMessage) json() map[string]any {
	payload := m.Payload
	if payload == nil {
		payload = map[string]any{}
	}
	return map[string]any{
		"id":               m.ID,
		"eventName":        m.EventName,
		"channelId":        m.ChannelID,
		"channelName":      m.ChannelName,
		"payload":          payload,
		"senderType":       m.SenderType,
		"senderId":         m.SenderID,
		"wsAudienceCount":  m.WSAudienceCount,
		"whAudienceCount":  m.WHAudienceCount,
		"whDeliveredCount": m.WHDeliveredCount,
		"createdAt":        isoMillis(m.CreatedAt),
	}
}

// channelList is GET /api/realtime/channels: newest first. rt.mu held.
func (rt *realtimeState) channelList() []map[string]any {
	out := make([]map[string]any, 0, len(rt.channels))
	for i := len(rt.channels) - 1; i >= 0; i-- {
		out = append(out, rt.channels[i].json())
	}
	return out
}

// permissions is GET /api/realtime/permissions. rt.mu held.
func (rt *realtimeState) permissions() map[string]any {
	sub, pub := []RealtimePolicy{}, []RealtimePolicy{}
	for _, p := range rt.policies {
		p.Roles = append([]string{}, p.Roles...)
		if p.TableName == "messages" {
			pub = append(pub, p)
		} else {
			sub = append(sub, p)
		}
	}
	byName := func(ps []RealtimePolicy) func(i, j int) bool {
		return func(i, j int) bool { return ps[i].PolicyName < ps[j].PolicyName }
	}
	sort.SliceStable(sub, byName(sub))
	sort.SliceStable(pub, byName(pub))
	return map[string]any{"subscribe": map[string]any{"policies": sub}, "publish": map[string]any{"policies": pub}}
}

func (rt *realtimeState) find(id string) *rtChannel {
	for _, c := range rt.channels {
		if strings.EqualFold(c.id, id) {
			return c
		}
	}
	return nil
}

// channel finds the channel whose id is the path's id: 400 for an id that
// is not a UUID, 404 for one no channel has. rt.mu held.
func (rt *realtimeState) channel(id string) (*rtChannel, *APIError) {
	if err := rtCheckChannelID(id); err != nil {
		return nil, err
	}
	if c := rt.find(id); c != nil {
		return c, nil
	}
	return nil, errRTChannelNotFound()
}

// match mirrors realtime.publish(): an enabled channel whose pattern equals
// name wins over one whose pattern matches it as a LIKE pattern. rt.mu held.
func (rt *realtimeState) match(name string) *rtChannel {
	var like *rtChannel
	for _, c := range rt.channels {
		if !c.enabled {
			continue
		}
		if c.pattern == name {
			return c
		}
		if like == nil && rtLike(name, c.pattern) {
			like = c
		}
	}
	return like
}

// rtLike reports whether s matches the SQL LIKE pattern p ('%' any run,
// '_' one character, '\' escapes the next character).
func rtLike(s, p string) bool {
	sr, pr := []rune(s), []rune(p)
	var rec func(i, j int) bool
	memo := map[[2]int]bool{}
	rec = func(i, j int) bool {
		key := [2]int{i, j}
		if v, ok := memo[key]; ok {
			return v
		}
		var ok bool
		switch {
		case j == len(pr):
			ok = i == len(sr)
		case pr[j] == '%':
			ok = rec(i, j+1) || (i < len(sr) && rec(i+1, j))
		case i == len(sr):
			ok = false
		case pr[j] == '_':
			ok = rec(i+1, j+1)
		case pr[j] == '\\' && j+1 < len(pr):
			ok = sr[i] == pr[j+1] && rec(i+1, j+2)
		default:
			ok = sr[i] == pr[j] && rec(i+1, j+1)
		}
		memo[key] = ok
		return ok
	}
	return rec(0, 0)
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
		c.webhookURLs = append([]string{}, webhookURLs...)
	}
	rt.channels = append(rt.channels, c)
	return c.id
}

// AddRealtimeMessage appends m to the message log as given and returns the
// stored copy. Defaults: a new ID, SenderType "system", CreatedAt now (later
// than every earlier message), an empty payload, and, when ChannelID is nil,
// the id of the enabled pattern that matches ChannelName (if any).
func (s *Server) AddRealtimeMessage(m RealtimeMessage) RealtimeMessage {
	rt := realtimeOf(s)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if m.ChannelID == nil {
		if c := rt.match(m.ChannelName); c != nil {
			id := c.id
			m.ChannelID = &id
		}
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
	if m.CreatedAt.IsZero() {
		m.CreatedAt = rt.now()
	} else if m.CreatedAt.After(rt.clock) {
		rt.clock = m.CreatedAt
	}
	if m.Payload == nil {
		m.Payload = map[string]any{}
	}
	stored := m
	rt.messages = append(rt.messages, &stored)
	return stored
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

// ---- validation ----

var rtPatternRE = regexp.MustCompile(`^[a-zA-Z0-9-]+(:[a-zA-Z0-9%:-]+)*$`)

func errRTInvalidPattern() *APIError {
	return &APIError{Status: 400, Code: "REALTIME_INVALID_CHANNEL_PATTERN",
		Message: "Invalid channel pattern: use letters, digits, colons, hyphens, and % as a wildcard."}
}

func errRTChannelNotFound() *APIError {
	return &APIError{Status: 404, Code: "REALTIME_CHANNEL_NOT_FOUND", Message: "Channel not found"}
}

// rtCheckChannelID mimics Postgres on a uuid column: a malformed id is a
// 22P02 error, which the backend answers as 500.
func rtCheckChannelID(id string) *APIError {
	if !uuidRE.MatchString(id) {
		return (&pgError{Code: "22P02", Message: fmt.Sprintf("invalid input syntax for type uuid: %q", id)}).toAPIError()
	}
	return nil
}

// rtChannelInput is the channel create/update body.
type rtChannelInput struct {
	Pattern, Description *string
	WebhookURLs          *[]string `json:"webhookUrls"`
	Enabled              *bool
}

func (rt *realtimeState) patternTaken(pattern string, except *rtChannel) *APIError {
	for _, c := range rt.channels {
		if c != except && c.pattern == pattern {
			return (&pgError{Code: "23505", Message: `duplicate key value violates unique constraint "channels_pattern_key"`}).toAPIError()
		}
	}
	return nil
}

// ---- channels ----

func (rt *realtimeState) listChannels(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	list := rt.channelList()
	rt.mu.Unlock()
	writeJSON(w, 200, list)
}

func (rt *realtimeState) getChannel(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	c, err := rt.channel(r.PathValue("id"))
	var out map[string]any
	if c != nil {
		out = c.json()
	}
	rt.mu.Unlock()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, 200, out)
}

func (rt *realtimeState) createChannel(w http.ResponseWriter, r *http.Request) {
	var in rtChannelInput
	if !bind(w, r, &in) {
		return
	}
	if in.Pattern == nil || !rtPatternRE.MatchString(*in.Pattern) {
		writeError(w, errRTInvalidPattern())
		return
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if err := rt.patternTaken(*in.Pattern, nil); err != nil {
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
	c, err := rt.channel(r.PathValue("id"))
	if err == nil && in.Pattern != nil {
		if !rtPatternRE.MatchString(*in.Pattern) {
			err = errRTInvalidPattern()
		} else {
			err = rt.patternTaken(*in.Pattern, c)
		}
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
	c, err := rt.channel(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	for i, x := range rt.channels {
		if x == c {
			rt.channels = append(rt.channels[:i], rt.channels[i+1:]...)
			break
		}
	}
	for _, m := range rt.messages {
		if m.ChannelID != nil && strings.EqualFold(*m.ChannelID, c.id) {
			m.ChannelID = nil // ON DELETE SET NULL
		}
	}
	writeJSON(w, 200, map[string]any{"message": "Channel deleted"})
}

// ---- messages ----

// rtQueryInt reads an integer query parameter (def when absent or bad).
func rtQueryInt(q url.Values, key string, def int) int {
	if n, err := strconv.Atoi(q.Get(key)); err == nil {
		return n
	}
	return def
}

func (rt *realtimeState) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	channelID, event := q.Get("channelId"), q.Get("eventName")
	limit, offset := rtQueryInt(q, "limit", 100), rtQueryInt(q, "offset", 0)
	rt.mu.Lock()
	matched := []map[string]any{}
	for _, m := range rt.sortedMessages() {
		if channelID != "" && (m.ChannelID == nil || !strings.EqualFold(*m.ChannelID, channelID)) {
			continue
		}
		if event != "" && m.EventName != event {
			continue
		}
		matched = append(matched, m.json())
	}
	rt.mu.Unlock()
	writeJSON(w, 200, pageSlice(matched, limit, offset))
}

// sortedMessages is the log newest first. rt.mu held.
func (rt *realtimeState) sortedMessages() []*RealtimeMessage {
	out := append([]*RealtimeMessage{}, rt.messages...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out
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
	channelID := q.Get("channelId")
	since, _ := parseTime(q.Get("since"))
	rt.mu.Lock()
	defer rt.mu.Unlock()
	total, audience, delivered := 0, 0, 0
	counts := map[string]int{}
	for _, m := range rt.messages {
		if channelID != "" && (m.ChannelID == nil || !strings.EqualFold(*m.ChannelID, channelID)) {
			continue
		}
		if !since.IsZero() && m.CreatedAt.Before(since) {
			continue
		}
		total++
		audience += m.WHAudienceCount
		delivered += m.WHDeliveredCount
		counts[m.EventName]++
	}
	type top struct {
		EventName string `json:"eventName"`
		Count     int    `json:"count"`
	}
	tops := []top{}
	for _, name := range sortedKeys(counts) {
		tops = append(tops, top{name, counts[name]})
	}
	sort.SliceStable(tops, func(i, j int) bool { return tops[i].Count > tops[j].Count })
	if len(tops) > 10 {
		tops = tops[:10]
	}
	rate := 0.0
	if audience > 0 {
		rate = float64(delivered) / float64(audience)
	}
	writeJSON(w, 200, map[string]any{
		"totalMessages":  total,
		"whDeliveryRate": rate,
		"topEvents":      tops,
		"retentionDays":  rt.retention,
	})
}

// ---- permissions and config ----

func (rt *realtimeState) getPermissions(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	out := rt.permissions()
	rt.mu.Unlock()
	writeJSON(w, 200, out)
}

func (rt *realtimeState) getConfig(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	out := map[string]any{"retentionDays": rt.retention}
	rt.mu.Unlock()
	writeJSON(w, 200, out)
}

func (rt *realtimeState) patchConfig(w http.ResponseWriter, r *http.Request) {
	days, err := decodeRetentionDays(r)
	if err != nil {
		writeError(w, err)
		return
	}
	rt.mu.Lock()
	rt.retention = days
	rt.mu.Unlock()
	writeJSON(w, 200, map[string]any{"message": "Retention config updated successfully"})
}

// PublishRealtime does what realtime.publish(channel, event, payload) does:
// when an enabled pattern matches channel, it logs a system message (every
// webhook of the pattern counted as delivered, no WebSocket audience) and
// returns its id; otherwise it stores nothing and returns "", false.
func (s *Server) PublishRealtime(channel, event string, payload map[string]any) (string, bool) {
	rt := realtimeOf(s)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	c := rt.match(channel)
	if c == nil {
		return "", false
	}
	id := c.id
	hooks := len(c.webhookURLs)
	m := rt.add(RealtimeMessage{
		EventName: event, ChannelID: &id, ChannelName: channel, Payload: payload,
		WHAudienceCount: hooks, WHDeliveredCount: hooks,
	})
	return m.ID, true
}
