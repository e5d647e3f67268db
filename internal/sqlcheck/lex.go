package sqlcheck

import (
	"fmt"
	"strings"
)

// kind is the class of a lexical token.
type kind uint8

const (
	kWord   kind = iota // identifier or keyword, ASCII-lowercased
	kQIdent             // "quoted identifier" (text is the unescaped name)
	kString             // any string literal ('…', E'…', $tag$…$tag$, B'…', X'…', U&'…')
	kNumber             // numeric literal
	kParam              // positional parameter $1
	kPunct              // one punctuation or operator character
)

// token is one lexical token; comments and whitespace are dropped.
type token struct {
	kind kind
	text string
	pos  int // byte offset in the query
}

func (t token) is(k kind, text string) bool { return t.kind == k && t.text == text }
func (t token) punct(c string) bool         { return t.is(kPunct, c) }
func (t token) word(w string) bool          { return t.is(kWord, w) }

// lex splits a query into tokens the way the PostgreSQL scanner does for
// the purposes of this package: string literals, quoted identifiers and
// comments are recognised so that their content is never mistaken for
// keywords or statement separators. It assumes standard_conforming_strings
// is on (the PostgreSQL default): a backslash escapes nothing in '…'.
func lex(q string) ([]token, error) {
	var toks []token
	i := 0
	n := len(q)
	for i < n {
		c := q[i]
		switch {
		case isSpace(c):
			i++
		case c == '-' && i+1 < n && q[i+1] == '-':
			for i < n && q[i] != '\n' && q[i] != '\r' {
				i++
			}
		case c == '/' && i+1 < n && q[i+1] == '*':
			end, err := skipBlockComment(q, i)
			if err != nil {
				return nil, err
			}
			i = end
		case c == '\'':
			end, err := skipQuoted(q, i, '\'', false)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kString, q[i:end], i})
			i = end
		case c == '"':
			end, err := skipQuoted(q, i, '"', false)
			if err != nil {
				return nil, err
			}
			name := strings.ReplaceAll(q[i+1:end-1], `""`, `"`)
			toks = append(toks, token{kQIdent, name, i})
			i = end
		case c == '$':
			if i+1 < n && isDigit(q[i+1]) {
				j := i + 1
				for j < n && isDigit(q[j]) {
					j++
				}
				toks = append(toks, token{kParam, q[i:j], i})
				i = j
				continue
			}
			if tag, ok := dollarTag(q, i); ok {
				body := strings.Index(q[i+len(tag):], tag)
				if body < 0 {
					return nil, fmt.Errorf("unterminated dollar-quoted string %s at offset %d", tag, i)
				}
				end := i + len(tag) + body + len(tag)
				toks = append(toks, token{kString, q[i:end], i})
				i = end
				continue
			}
			toks = append(toks, token{kPunct, "$", i})
			i++
		case isDigit(c) || (c == '.' && i+1 < n && isDigit(q[i+1])):
			end := scanNumber(q, i)
			toks = append(toks, token{kNumber, q[i:end], i})
			i = end
		case isIdentStart(c):
			j := i + 1
			for j < n && isIdentCont(q[j]) {
				j++
			}
			w := lowerASCII(q[i:j])
			// String and identifier prefixes: E'…', B'…', X'…', N'…', U&'…', U&"…".
			if j < n && q[j] == '\'' {
				switch w {
				case "e":
					end, err := skipQuoted(q, j, '\'', true)
					if err != nil {
						return nil, err
					}
					toks = append(toks, token{kString, q[i:end], i})
					i = end
					continue
				case "b", "x", "n":
					end, err := skipQuoted(q, j, '\'', false)
					if err != nil {
						return nil, err
					}
					toks = append(toks, token{kString, q[i:end], i})
					i = end
					continue
				}
			}
			if w == "u" && j+1 < n && q[j] == '&' && (q[j+1] == '\'' || q[j+1] == '"') {
				end, err := skipQuoted(q, j+1, q[j+1], false)
				if err != nil {
					return nil, err
				}
				if q[j+1] == '"' {
					toks = append(toks, token{kQIdent, strings.ReplaceAll(q[j+2:end-1], `""`, `"`), i})
				} else {
					toks = append(toks, token{kString, q[i:end], i})
				}
				i = end
				continue
			}
			toks = append(toks, token{kWord, w, i})
			i = j
		default:
			toks = append(toks, token{kPunct, string(c), i})
			i++
		}
	}
	return toks, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// isIdentStart: letters, underscore and any non-ASCII byte (as PostgreSQL).
func isIdentStart(c byte) bool { return isLetter(c) || c == '_' || c >= 0x80 }

func isIdentCont(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }

func isHexDigit(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// skipBlockComment returns the offset after the (possibly nested) block
// comment starting at i.
func skipBlockComment(q string, i int) (int, error) {
	start := i
	depth := 0
	for i < len(q) {
		switch {
		case q[i] == '/' && i+1 < len(q) && q[i+1] == '*':
			depth++
			i += 2
		case q[i] == '*' && i+1 < len(q) && q[i+1] == '/':
			depth--
			i += 2
			if depth == 0 {
				return i, nil
			}
		default:
			i++
		}
	}
	return 0, fmt.Errorf("unterminated /* comment at offset %d", start)
}

// skipQuoted returns the offset after the literal opened by quote at i. A
// doubled quote is an escaped quote; with backslash, \x escapes x (E'…').
func skipQuoted(q string, i int, quote byte, backslash bool) (int, error) {
	start := i
	i++
	for i < len(q) {
		switch {
		case backslash && q[i] == '\\':
			i += 2
		case q[i] == quote:
			if i+1 < len(q) && q[i+1] == quote {
				i += 2
				continue
			}
			return i + 1, nil
		default:
			i++
		}
	}
	what := "string literal"
	if quote == '"' {
		what = "quoted identifier"
	}
	return 0, fmt.Errorf("unterminated %s at offset %d", what, start)
}

// dollarTag reports whether a dollar quote ($$ or $tag$) opens at i, and
// returns the delimiter.
func dollarTag(q string, i int) (string, bool) {
	j := i + 1
	if j < len(q) && q[j] == '$' {
		return "$$", true
	}
	if j >= len(q) || !isIdentStart(q[j]) {
		return "", false
	}
	for j < len(q) && (isIdentStart(q[j]) || isDigit(q[j])) {
		j++
	}
	if j < len(q) && q[j] == '$' {
		return q[i : j+1], true
	}
	return "", false
}

// scanNumber returns the end of the numeric literal at i. Letters that do
// not belong to the number (1into) are left for the next token, so that a
// keyword glued to a number is still seen.
func scanNumber(q string, i int) int {
	n := len(q)
	if q[i] == '0' && i+2 < n {
		p := q[i+1] | 0x20
		digit := func(c byte) bool { return false }
		switch p {
		case 'x':
			digit = isHexDigit
		case 'o':
			digit = func(c byte) bool { return c >= '0' && c <= '7' }
		case 'b':
			digit = func(c byte) bool { return c == '0' || c == '1' }
		}
		if digit(q[i+2]) {
			j := i + 2
			for j < n && (digit(q[j]) || (q[j] == '_' && j+1 < n && digit(q[j+1]))) {
				j++
			}
			return j
		}
	}
	j := i
	digits := func() {
		for j < n && (isDigit(q[j]) || (q[j] == '_' && j+1 < n && isDigit(q[j+1]) && j > i)) {
			j++
		}
	}
	digits()
	if j < n && q[j] == '.' && !(j+1 < n && q[j+1] == '.') {
		j++
		digits()
	}
	if j < n && (q[j]|0x20) == 'e' {
		k := j + 1
		if k < n && (q[k] == '+' || q[k] == '-') {
			k++
		}
		if k < n && isDigit(q[k]) {
			j = k
			digits()
		}
	}
	return j
}
