// Package sessionstore keeps streamable HTTP sessions in Redis, so that
// every replica of the server can serve every session: the session's
// protocol state, its connected credentials (encrypted, AES-256-GCM), the
// session count and per-session call slots, and a channel on which
// replicas pass each other messages for sessions they hold.
//
// Redis sees no session id (keys carry a hash of it) and no credential in
// plaintext.
package sessionstore

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/insforge-mcp/insforge-mcp/credentials"
)

// ErrUnavailable wraps every failure to reach Redis.
var ErrUnavailable = errors.New("session store unavailable, retry shortly")

// Options configure a Store.
type Options struct {
	// URL is redis://[user:password@]host:port/db, or rediss:// for TLS.
	// Query parameters: addr=host:port (repeatable) adds addresses, which
	// makes a Cluster client; master=name makes it a Sentinel client with
	// the addresses as sentinels.
	URL string
	// Secrets derive the credential key; the first seals, all open.
	Secrets []string
	// TTL is the idle timeout: an entry not used for this long expires.
	TTL    time.Duration
	Logger *slog.Logger
}

// Store is a Redis session store.
type Store struct {
	rdb  redis.UniversalClient
	seal *sealer
	ttl  time.Duration
	log  *slog.Logger
	// warned holds the sessions whose entry failed to decrypt and was
	// reported, so that each is reported once.
	warned sync.Map
}

// State is what any replica needs to serve a session besides its
// credentials. Fields left empty are not written by Update.
type State struct {
	Initialized        bool
	ProtocolVersion    string
	ClientCapabilities json.RawMessage
	LogLevel           string
}

// Entry is a session as stored.
type Entry struct {
	State
	Creds credentials.Credentials
	// Locked is set when the entry holds credentials that do not decrypt
	// (tampered with, or sealed under a secret no longer configured): the
	// session then acts as if it had none.
	Locked bool
}

// Key names. The {ifm} hash tag keeps every key in one Cluster slot, so
// that the scripts may touch several.
const (
	keyPrefix  = "{ifm}:"
	liveKey    = keyPrefix + "live"
	busChannel = keyPrefix + "bus"
)

func sessionKey(h string) string { return keyPrefix + "s:" + h }
func slotsKey(h string) string   { return keyPrefix + "slots:" + h }

// Hash is how a session id appears in Redis.
func Hash(id string) string {
	sum := sha256.Sum256([]byte("insforge-mcp session id\x00" + id))
	return hex.EncodeToString(sum[:16])
}

// Open connects to Redis and checks that it answers.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.TTL <= 0 {
		o.TTL = 30 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	seal, err := newSealer(o.Secrets)
	if err != nil {
		return nil, err
	}
	opts, err := parseURL(o.URL)
	if err != nil {
		return nil, err
	}
	s := &Store{rdb: redis.NewUniversalClient(opts), seal: seal, ttl: o.TTL, log: o.Logger}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.rdb.Ping(pctx).Err(); err != nil {
		s.rdb.Close()
		return nil, fmt.Errorf("session store %s does not answer: %v", redactURL(o.URL), err)
	}
	return s, nil
}

// parseURL turns the store URL into client options.
func parseURL(raw string) (*redis.UniversalOptions, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return nil, fmt.Errorf("session store %q: must be redis://host:port/db or rediss://host:port/db", redactURL(raw))
	}
	q := u.Query()
	extra, master := q["addr"], q.Get("master")
	q.Del("addr")
	q.Del("master")
	u.RawQuery = q.Encode()
	one, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, fmt.Errorf("session store %s: %v", redactURL(raw), err)
	}
	return &redis.UniversalOptions{
		Addrs:           append([]string{one.Addr}, extra...),
		MasterName:      master,
		DB:              one.DB,
		Username:        one.Username,
		Password:        one.Password,
		TLSConfig:       one.TLSConfig,
		DialTimeout:     2 * time.Second,
		ReadTimeout:     time.Second,
		WriteTimeout:    time.Second,
		MaxRetries:      1,
		DisableIdentity: true,
	}, nil
}

// redactURL drops the password from a store URL, for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// Close closes the connections.
func (s *Store) Close() error { return s.rdb.Close() }

// TTL is the idle timeout.
func (s *Store) TTL() time.Duration { return s.ttl }

// unavailable wraps a Redis error.
func unavailable(op string, err error) error {
	return fmt.Errorf("%w (%s: %v)", ErrUnavailable, op, err)
}

var createScript = redis.NewScript(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], 'init', '0')
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`)

// Create records a new session.
func (s *Store) Create(ctx context.Context, id string) error {
	h := Hash(id)
	err := createScript.Run(ctx, s.rdb, []string{liveKey, sessionKey(h)}, s.expiry(), h, s.ttl.Milliseconds()).Err()
	if err != nil {
		return unavailable("create", err)
	}
	return nil
}

func (s *Store) expiry() int64 { return time.Now().Add(s.ttl).UnixMilli() }

var loadScript = redis.NewScript(`
if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return false end
redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[3])
return redis.call('HGETALL', KEYS[1])`)

// Load returns the session's entry and refreshes its idle timeout; found
// is false when the session does not exist (ended or expired).
func (s *Store) Load(ctx context.Context, id string) (e Entry, found bool, err error) {
	h := Hash(id)
	res, err := loadScript.Run(ctx, s.rdb, []string{sessionKey(h), liveKey}, s.ttl.Milliseconds(), s.expiry(), h).StringSlice()
	if errors.Is(err, redis.Nil) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, unavailable("load", err)
	}
	fields := map[string]string{}
	for i := 0; i+1 < len(res); i += 2 {
		fields[res[i]] = res[i+1]
	}
	e.Initialized = fields["init"] == "1"
	e.ProtocolVersion = fields["pv"]
	e.LogLevel = fields["lvl"]
	if c := fields["caps"]; c != "" {
		e.ClientCapabilities = json.RawMessage(c)
	}
	if sealed, ok := fields["ck"]; ok {
		e.Creds, e.Locked = s.openCreds(id, h, []byte(sealed))
	}
	return e, true, nil
}

// openCreds decrypts sealed credentials; on failure the session is locked
// and one warning names its hash (never the id or any part of a key).
func (s *Store) openCreds(id, h string, sealed []byte) (credentials.Credentials, bool) {
	var c credentials.Credentials
	plain, err := s.seal.open(sealed, id)
	if err == nil {
		err = json.Unmarshal(plain, &c)
	}
	if err != nil || !c.Complete() {
		if _, seen := s.warned.LoadOrStore(h, true); !seen {
			s.log.Warn("session credentials in the store do not decrypt (tampered with, or sealed under a secret no longer configured); the session is locked until it connects again", "session", h)
		}
		return credentials.Credentials{}, true
	}
	return c, false
}

var setScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`)

// set writes fields of an existing session; live is false when it has
// ended.
func (s *Store) set(ctx context.Context, id string, fields ...any) (live bool, err error) {
	args := append([]any{s.ttl.Milliseconds()}, fields...)
	n, err := setScript.Run(ctx, s.rdb, []string{sessionKey(Hash(id))}, args...).Int()
	if err != nil {
		return false, unavailable("update", err)
	}
	return n == 1, nil
}

// Update writes the non-empty fields of st to a live session.
func (s *Store) Update(ctx context.Context, id string, st State) (live bool, err error) {
	var fields []any
	if st.Initialized {
		fields = append(fields, "init", "1")
	}
	if st.ProtocolVersion != "" {
		fields = append(fields, "pv", st.ProtocolVersion)
	}
	if len(st.ClientCapabilities) > 0 {
		fields = append(fields, "caps", string(st.ClientCapabilities))
	}
	if st.LogLevel != "" {
		fields = append(fields, "lvl", st.LogLevel)
	}
	if len(fields) == 0 {
		return true, nil
	}
	return s.set(ctx, id, fields...)
}

// SaveCreds stores the session's credentials, encrypted, if the session is
// live.
func (s *Store) SaveCreds(ctx context.Context, id string, c credentials.Credentials) (live bool, err error) {
	plain, err := json.Marshal(c)
	if err != nil {
		return false, fmt.Errorf("encode credentials: %w", err)
	}
	s.warned.Delete(Hash(id))
	return s.set(ctx, id, "ck", s.seal.seal(plain, id))
}

// DeleteCreds removes the session's credentials; had tells whether it had
// any.
func (s *Store) DeleteCreds(ctx context.Context, id string) (had bool, err error) {
	n, err := s.rdb.HDel(ctx, sessionKey(Hash(id)), "ck").Result()
	if err != nil {
		return false, unavailable("disconnect", err)
	}
	return n > 0, nil
}

// Delete ends the session everywhere: its entries go, and every replica
// hears of it.
func (s *Store) Delete(ctx context.Context, id string) error {
	h := Hash(id)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, sessionKey(h), slotsKey(h))
		p.ZRem(ctx, liveKey, h)
		return nil
	})
	if err != nil {
		return unavailable("delete", err)
	}
	// The id travels sealed: replicas that served the session without
	// holding it know it only by its hash, and need it to forget it.
	return s.Publish(ctx, Message{Kind: KindEnd, Session: h, Sealed: s.SealFor("", []byte(id))})
}

var countScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[1])`)

// Count is the number of live sessions across every replica.
func (s *Store) Count(ctx context.Context) (int, error) {
	n, err := countScript.Run(ctx, s.rdb, []string{liveKey}, time.Now().UnixMilli()).Int()
	if err != nil {
		return 0, unavailable("count", err)
	}
	return n, nil
}

var acquireScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`)

// AcquireSlot takes one of the session's limit call slots, shared by every
// replica, if one is free. A slot is held until ReleaseSlot, or at most
// lease (so that a replica that dies holding slots does not keep them).
func (s *Store) AcquireSlot(ctx context.Context, id string, limit int, lease time.Duration, token string) (bool, error) {
	now := time.Now()
	n, err := acquireScript.Run(ctx, s.rdb, []string{slotsKey(Hash(id))},
		now.UnixMilli(), limit, now.Add(lease).UnixMilli(), token, lease.Milliseconds()).Int()
	if err != nil {
		return false, unavailable("acquire", err)
	}
	return n == 1, nil
}

// ReleaseSlot gives a slot back.
func (s *Store) ReleaseSlot(ctx context.Context, id, token string) error {
	if err := s.rdb.ZRem(ctx, slotsKey(Hash(id)), token).Err(); err != nil {
		return unavailable("release", err)
	}
	return nil
}

var tallyScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`)

// Tally counts one call made with apiKey in the current window, across
// every replica, and returns the count so far and the time left in the
// window. Redis knows the key by an HMAC keyed from the secret.
func (s *Store) Tally(ctx context.Context, apiKey string, window time.Duration) (int64, time.Duration, error) {
	mac := hmac.New(sha256.New, s.seal.tag)
	mac.Write([]byte(apiKey))
	k := keyPrefix + "rate:" + hex.EncodeToString(mac.Sum(nil)[:16])
	res, err := tallyScript.Run(ctx, s.rdb, []string{k}, window.Milliseconds()).Int64Slice()
	if err != nil || len(res) != 2 {
		return 0, 0, unavailable("tally", err)
	}
	return res[0], time.Duration(res[1]) * time.Millisecond, nil
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Message is what replicas tell each other about a session.
type Message struct {
	Kind    string `json:"k"`
	Session string `json:"s"` // Hash of the session id
	From    string `json:"f,omitempty"`
	// Method and Params are a notification's (KindNotify).
	Method string          `json:"m,omitempty"`
	Params json.RawMessage `json:"p,omitempty"`
	// Sealed is a relayed request (KindRelay) or the ended session's id
	// (KindEnd), encrypted like credentials.
	Sealed []byte `json:"b,omitempty"`
}

// Message kinds.
const (
	KindEnd    = "end"    // the session ended
	KindNotify = "notify" // send the notification to the session's stream
	KindRelay  = "relay"  // an HTTP request for the session, for the replica that holds it
)

// Publish sends m to every replica.
func (s *Store) Publish(ctx context.Context, m Message) error {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	if err := s.rdb.Publish(ctx, busChannel, data).Err(); err != nil {
		return unavailable("publish", err)
	}
	return nil
}

// Subscribe calls fn with every message published, until ctx ends. It
// returns once the subscription is in place; it reconnects by itself.
func (s *Store) Subscribe(ctx context.Context, fn func(Message)) error {
	ps := s.rdb.Subscribe(ctx, busChannel)
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return unavailable("subscribe", err)
	}
	ch := ps.Channel()
	go func() {
		defer ps.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case msg, ok := <-ch:
				if !ok {
					return
				}
				var m Message
				if err := json.Unmarshal([]byte(msg.Payload), &m); err != nil {
					s.log.Debug("unreadable session store message", "error", err)
					continue
				}
				fn(m)
			}
		}
	}()
	return nil
}

// SealFor encrypts data relayed for session id; OpenFor decrypts it.
func (s *Store) SealFor(id string, data []byte) []byte { return s.seal.seal(data, "relay\x00"+id) }

// OpenFor decrypts what SealFor sealed for the same session id.
func (s *Store) OpenFor(id string, sealed []byte) ([]byte, error) {
	return s.seal.open(sealed, "relay\x00"+id)
}

// Describe is the store's address without credentials, for logs.
func Describe(rawURL string) string {
	d := redactURL(rawURL)
	if i := strings.IndexByte(d, '?'); i >= 0 {
		d = d[:i]
	}
	return d
}
