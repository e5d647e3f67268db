package insforgefake

import (
	"errors"
	"strings"
)

// SQL tokenizer for the statement guards.

type tokKind int

const (
	tkIdent  tokKind = iota // unquoted identifier or keyword (val lower-cased)
	tkQIdent                // "quoted identifier"
	tkNumber
	tkString // 'string', E'string' or $$dollar$$ string
	tkParam  // $n
	tkOp     // punctuation and operators
)

type token struct {
	kind       tokKind
	val        string // identifier (lower-cased unless quoted), string contents, operator text
	start, end int    // byte offsets in the source
}

// is reports whether t is the keyword kw (case-insensitive, unquoted).
func (t token) is(kw string) bool { return t.kind == tkIdent && t.val == strings.ToLower(kw) }

func (t token) isOp(op string) bool { return t.kind == tkOp && t.val == op }

var errLex = errors.New("unterminated token")

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') || c == '$' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits SQL text into tokens, skipping whitespace and comments.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	n := len(src)
	for i < n {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < n && src[i+1] == '-':
			for i < n && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && src[i+1] == '*':
			depth := 0
			for {
				if i+1 >= n {
					return nil, errLex
				}
				if src[i] == '/' && src[i+1] == '*' {
					depth++
					i += 2
				} else if src[i] == '*' && src[i+1] == '/' {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		case c == '\'' || ((c == 'e' || c == 'E') && i+1 < n && src[i+1] == '\''):
			start := i
			escapes := c != '\''
			if escapes {
				i++
			}
			i++
			var b strings.Builder
			closed := false
			for i < n {
				ch := src[i]
				if escapes && ch == '\\' && i+1 < n {
					switch src[i+1] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					default:
						b.WriteByte(src[i+1])
					}
					i += 2
					continue
				}
				if ch == '\'' {
					if i+1 < n && src[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteByte(ch)
				i++
			}
			if !closed {
				return nil, errLex
			}
			toks = append(toks, token{kind: tkString, val: b.String(), start: start, end: i})
		case c == '"':
			start := i
			i++
			var b strings.Builder
			closed := false
			for i < n {
				if src[i] == '"' {
					if i+1 < n && src[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteByte(src[i])
				i++
			}
			if !closed || b.Len() == 0 {
				return nil, errLex
			}
			toks = append(toks, token{kind: tkQIdent, val: b.String(), start: start, end: i})
		case c == '$' && i+1 < n && isDigit(src[i+1]):
			start := i
			i++
			for i < n && isDigit(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tkParam, val: src[start+1 : i], start: start, end: i})
		case c == '$':
			// dollar-quoted string $tag$ … $tag$
			j := i + 1
			for j < n && src[j] != '$' && isIdentChar(src[j]) {
				j++
			}
			if j >= n || src[j] != '$' {
				return nil, errLex
			}
			tag := src[i : j+1]
			end := strings.Index(src[j+1:], tag)
			if end < 0 {
				return nil, errLex
			}
			body := src[j+1 : j+1+end]
			toks = append(toks, token{kind: tkString, val: body, start: i, end: j + 1 + end + len(tag)})
			i = j + 1 + end + len(tag)
		case isDigit(c) || (c == '.' && i+1 < n && isDigit(src[i+1])):
			start := i
			for i < n && isDigit(src[i]) {
				i++
			}
			if i < n && src[i] == '.' && !(i+1 < n && src[i+1] == '.') {
				i++
				for i < n && isDigit(src[i]) {
					i++
				}
			}
			if i < n && (src[i] == 'e' || src[i] == 'E') {
				j := i + 1
				if j < n && (src[j] == '+' || src[j] == '-') {
					j++
				}
				if j < n && isDigit(src[j]) {
					i = j
					for i < n && isDigit(src[i]) {
						i++
					}
				}
			}
			if i < n && isIdentStart(src[i]) {
				return nil, errLex // e.g. 123abc
			}
			toks = append(toks, token{kind: tkNumber, val: src[start:i], start: start, end: i})
		case isIdentStart(c):
			start := i
			for i < n && isIdentChar(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tkIdent, val: strings.ToLower(src[start:i]), start: start, end: i})
		default:
			start := i
			op := string(c)
			for _, multi := range []string{"::", "<=", ">=", "<>", "!=", "||", "->>", "->", "#>>", "#>", "@>", "<@", "!~~*", "!~~", "~~*", "!~*", "~*", "!~", "~~"} {
				if strings.HasPrefix(src[i:], multi) {
					op = multi
					break
				}
			}
			i += len(op)
			toks = append(toks, token{kind: tkOp, val: op, start: start, end: i})
		}
	}
	return toks, nil
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
