// Package rules holds no code: its tests check rules of the repository's
// shape that review would otherwise have to catch (which packages may
// import mcp-go, which may name go-redis, how long a function may be,
// what comments may cite).
package rules
