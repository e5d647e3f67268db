package sqlcheck

import (
	"errors"
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
	pos  int  // byte offset in the query
	uesc bool // a U&"…" identifier or U&'…' string whose text is still escaped
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
			toks = append(toks, token{kString, q[i:end], i, false})
			i = end
		case c == '"':
			end, err := skipQuoted(q, i, '"', false)
			if err != nil {
				return nil, err
			}
			name := strings.ReplaceAll(q[i+1:end-1], `""`, `"`)
			toks = append(toks, token{kQIdent, name, i, false})
			i = end
		case c == '$':
			if i+1 < n && isDigit(q[i+1]) {
				j := i + 1
				for j < n && isDigit(q[j]) {
					j++
				}
				toks = append(toks, token{kParam, q[i:j], i, false})
				i = j
				continue
			}
			if tag, ok := dollarTag(q, i); ok {
				body := strings.Index(q[i+len(tag):], tag)
				if body < 0 {
					return nil, fmt.Errorf("unterminated dollar-quoted string %s at offset %d", tag, i)
				}
				end := i + len(tag) + body + len(tag)
				toks = append(toks, token{kString, q[i:end], i, false})
				i = end
				continue
			}
			toks = append(toks, token{kPunct, "$", i, false})
			i++
		case isDigit(c) || (c == '.' && i+1 < n && isDigit(q[i+1])):
			end := scanNumber(q, i)
			toks = append(toks, token{kNumber, q[i:end], i, false})
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
					toks = append(toks, token{kString, q[i:end], i, false})
					i = end
					continue
				case "b", "x", "n":
					end, err := skipQuoted(q, j, '\'', false)
					if err != nil {
						return nil, err
					}
					toks = append(toks, token{kString, q[i:end], i, false})
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
					toks = append(toks, token{kQIdent, strings.ReplaceAll(q[j+2:end-1], `""`, `"`), i, true})
				} else {
					toks = append(toks, token{kString, strings.ReplaceAll(q[j+2:end-1], `''`, `'`), i, true})
				}
				i = end
				continue
			}
			toks = append(toks, token{kWord, w, i, false})
			i = j
		default:
			toks = append(toks, token{kPunct, string(c), i, false})
			i++
		}
	}
	return decodeUnicode(toks)
}

// decodeUnicode replaces each U&"…" identifier by the name PostgreSQL
// sees, and checks each U&'…' string the same way: \XXXX and \+XXXXXX
// are code points, \\ is a backslash, and a following UESCAPE 'c'
// (comments and whitespace between are already gone) makes c the escape
// character instead. An escape PostgreSQL would refuse is refused.
func decodeUnicode(toks []token) ([]token, error) {
	out := toks[:0]
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !t.uesc {
			out = append(out, t)
			continue
		}
		esc := byte('\\')
		if i+1 < len(toks) && toks[i+1].word("uescape") {
			c, ok := "", false
			if i+2 < len(toks) {
				c, ok = simpleString(toks[i+2])
			}
			if !ok || len(c) != 1 || isHexDigit(c[0]) || c[0] == '+' || c[0] == '\'' || c[0] == '"' || isSpace(c[0]) {
				return nil, fmt.Errorf("invalid UESCAPE after the Unicode literal at offset %d", t.pos)
			}
			esc = c[0]
			i += 2
		}
		dec, err := unescapeUnicode(t.text, esc)
		if err != nil {
			return nil, fmt.Errorf("%v in the Unicode literal at offset %d", err, t.pos)
		}
		if t.kind == kQIdent {
			t.text = dec
		}
		t.uesc = false
		out = append(out, t)
	}
	return out, nil
}

// simpleString returns the value of a '…', E'…' or dollar-quoted string
// token (the forms PostgreSQL accepts after UESCAPE).
func simpleString(t token) (string, bool) {
	if t.kind != kString || t.uesc {
		return "", false
	}
	s := t.text
	switch {
	case strings.HasPrefix(s, "'"):
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), true
	case strings.HasPrefix(s, "$"):
		tag := s[:strings.IndexByte(s[1:], '$')+2]
		return s[len(tag) : len(s)-len(tag)], true
	case len(s) >= 3 && (s[0]|0x20) == 'e' && s[1] == '\'':
		body := s[2 : len(s)-1]
		var b strings.Builder
		for k := 0; k < len(body); k++ {
			if body[k] == '\\' && k+1 < len(body) {
				k++
				if !strings.ContainsRune(`\'"`, rune(body[k])) {
					return "", false // \n, \x41, …: not worth decoding here
				}
			} else if body[k] == '\'' {
				k++ // ''
			}
			b.WriteByte(body[k])
		}
		return b.String(), true
	}
	return "", false
}

// unescapeUnicode decodes the body of a U& literal with escape character esc.
func unescapeUnicode(s string, esc byte) (string, error) {
	var b strings.Builder
	hex := func(h string) (rune, bool) {
		var r rune
		for k := 0; k < len(h); k++ {
			if !isHexDigit(h[k]) {
				return 0, false
			}
			c := h[k] | 0x20
			if c >= 'a' {
				r = r*16 + rune(c-'a'+10)
			} else {
				r = r*16 + rune(c-'0')
			}
		}
		return r, true
	}
	var high rune // a pending UTF-16 high surrogate
	for i := 0; i < len(s); {
		if s[i] != esc {
			if high != 0 {
				return "", errors.New("invalid Unicode surrogate pair")
			}
			b.WriteByte(s[i])
			i++
			continue
		}
		var r rune
		switch {
		case i+1 < len(s) && s[i+1] == esc:
			if high != 0 {
				return "", errors.New("invalid Unicode surrogate pair")
			}
			b.WriteByte(esc)
			i += 2
			continue
		case i+7 < len(s) && s[i+1] == '+':
			v, ok := hex(s[i+2 : i+8])
			if !ok {
				return "", errors.New("invalid Unicode escape")
			}
			r = v
			i += 8
		case i+4 < len(s):
			v, ok := hex(s[i+1 : i+5])
			if !ok {
				return "", errors.New("invalid Unicode escape")
			}
			r = v
			i += 5
		default:
			return "", errors.New("invalid Unicode escape")
		}
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			if high != 0 {
				return "", errors.New("invalid Unicode surrogate pair")
			}
			high = r
			continue
		case r >= 0xDC00 && r <= 0xDFFF:
			if high == 0 {
				return "", errors.New("invalid Unicode surrogate pair")
			}
			r = (high-0xD800)<<10 + (r - 0xDC00) + 0x10000
			high = 0
		case high != 0:
			return "", errors.New("invalid Unicode surrogate pair")
		}
		if r == 0 || r > 0x10FFFF {
			return "", errors.New("invalid Unicode escape value")
		}
		b.WriteRune(r)
	}
	if high != 0 {
		return "", errors.New("invalid Unicode surrogate pair")
	}
	return b.String(), nil
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
