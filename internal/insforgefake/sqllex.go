package insforgefake

import (
	"errors"
	"strings"
)

// A small SQL tokenizer for the statement guards: PostgreSQL parses the
// SQL; the guards only need words, parentheses and top-level semicolons.

type token struct {
	val        string // a word lower-cased, a punctuation character, "" for quoted text
	word       bool
	start, end int // byte offsets in the source
}

// is reports whether t is the keyword kw (lower case, unquoted).
func (t token) is(kw string) bool { return t.word && t.val == kw }

func (t token) isOp(op string) bool { return !t.word && t.val == op }

var errLex = errors.New("unterminated quote or comment")

func isWordChar(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// lex splits SQL text into tokens, skipping whitespace and comments. An
// unterminated quote, dollar quote or comment is an error.
func lex(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c, rest := src[i], src[i:]
		end, word := i+1, false
		switch {
		case c <= ' ':
			i++
			continue
		case strings.HasPrefix(rest, "--"):
			i += len(rest)
			if j := strings.IndexByte(rest, '\n'); j >= 0 {
				i += j - len(rest)
			}
			continue
		case strings.HasPrefix(rest, "/*"):
			n, err := commentLen(rest)
			if err != nil {
				return nil, err
			}
			i += n
			continue
		case c == '\'' || c == '"':
			n, err := quotedLen(rest, false)
			if err != nil {
				return nil, err
			}
			end = i + n
		case (c == 'e' || c == 'E') && len(rest) > 1 && rest[1] == '\'':
			n, err := quotedLen(rest[1:], true)
			if err != nil {
				return nil, err
			}
			end = i + 1 + n
		case c == '$' && len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9':
			for end < len(src) && src[end] >= '0' && src[end] <= '9' {
				end++
			}
			word = true
		case c == '$':
			j := strings.IndexByte(rest[1:], '$')
			if j < 0 || strings.IndexFunc(rest[1:j+1], func(r rune) bool { return r < 0x80 && !isWordChar(byte(r)) }) >= 0 {
				return nil, errLex
			}
			tag := rest[:j+2]
			k := strings.Index(rest[len(tag):], tag)
			if k < 0 {
				return nil, errLex
			}
			end = i + 2*len(tag) + k
		case isWordChar(c):
			for end < len(src) && isWordChar(src[end]) {
				end++
			}
			word = true
		}
		val := ""
		if word {
			val = strings.ToLower(src[i:end])
		} else if end == i+1 && c != '\'' && c != '"' {
			val = string(c)
		}
		toks = append(toks, token{val: val, word: word, start: i, end: end})
		i = end
	}
	return toks, nil
}

// commentLen is the length of the (nesting) block comment s starts with.
func commentLen(s string) (int, error) {
	depth := 0
	for i := 0; i+1 < len(s); {
		switch s[i : i+2] {
		case "/*":
			depth++
			i += 2
		case "*/":
			depth--
			i += 2
			if depth == 0 {
				return i, nil
			}
		default:
			i++
		}
	}
	return 0, errLex
}

// quotedLen is the length of the quoted text s starts with ('…' or "…",
// doubled quotes inside; backslash escapes when escapes).
func quotedLen(s string, escapes bool) (int, error) {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case escapes && s[i] == '\\':
			i++
		case s[i] == q && i+1 < len(s) && s[i+1] == q:
			i++
		case s[i] == q:
			return i + 1, nil
		}
	}
	return 0, errLex
}

// rawStatement is one statement of a query: its tokens and source text.
type rawStatement struct {
	toks []token
	text string
}

// splitStatements splits tokens on top-level semicolons, dropping empty
// statements.
func splitStatements(src string, toks []token) []rawStatement {
	var out []rawStatement
	start := 0
	flush := func(end int) {
		if end > start {
			ts := toks[start:end]
			out = append(out, rawStatement{toks: ts, text: strings.TrimSpace(src[ts[0].start:ts[len(ts)-1].end])})
		}
	}
	for i, t := range toks {
		if t.isOp(";") {
			flush(i)
			start = i + 1
		}
	}
	flush(len(toks))
	return out
}
