package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/insforge-mcp/insforge-mcp/sessionstore"
)

// EnvSessionSecret holds the session secret (or several, one a line),
// when no --session-secret-file is given.
const EnvSessionSecret = "INSFORGE_SESSION_SECRET"

// openStore connects to the session store when one is configured. Every
// failure here is a configuration error (exit 2): a missing or short
// secret, a store with the wrong transport, Redis not answering.
func openStore(ctx context.Context, cfg config, getenv func(string) string, log *slog.Logger) (*sessionstore.Store, error) {
	if cfg.sessionStore == "" {
		return nil, nil
	}
	if cfg.transport == "stdio" {
		return nil, errors.New("--session-store serves the http and sse transports; over stdio the session is the process")
	}
	text := getenv(EnvSessionSecret)
	if cfg.secretFile != "" {
		data, err := os.ReadFile(cfg.secretFile)
		if err != nil {
			return nil, fmt.Errorf("--session-secret-file: %w", err)
		}
		text = string(data)
	}
	if text == "" {
		return nil, errors.New("--session-store needs a session secret to encrypt the API keys it keeps: set " + EnvSessionSecret + " or --session-secret-file (at least 32 bytes, e.g. openssl rand -base64 48)")
	}
	secrets, err := sessionstore.ParseSecrets(text)
	if err != nil {
		return nil, fmt.Errorf("session secret: %w", err)
	}
	store, err := sessionstore.Open(ctx, sessionstore.Options{URL: cfg.sessionStore, Secrets: secrets, Logger: log})
	if err != nil {
		return nil, err
	}
	log.Info("sessions kept in the session store", "store", sessionstore.Describe(cfg.sessionStore), "secrets", len(secrets))
	return store, nil
}
