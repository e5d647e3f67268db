package mcpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Bounds on a tool call's arguments, checked before they are decoded: a
// small JSON text can still hold hundreds of thousands of keys, each one
// an allocation when decoded into the tool's input.
const (
	// MaxArgumentBytes bounds the JSON text of a call's arguments.
	MaxArgumentBytes = 1 << 20
	// MaxArgumentItems bounds the object keys and array elements of a
	// call's arguments, counted together at every depth.
	MaxArgumentItems = 10000
)

// checkArgumentBounds scans the arguments token by token, without
// building them, and says why they are refused ("" when they fit).
func checkArgumentBounds(tool string, args []byte, maxBytes, maxItems int) string {
	if len(args) > maxBytes {
		return fmt.Sprintf("The arguments of %s are %d bytes of JSON, over the limit of %d; send smaller arguments (split the work into several calls).", tool, len(args), maxBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.UseNumber()
	type frame struct{ object, key bool }
	var stack []frame
	items := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return ""
		}
		if err != nil {
			return "" // malformed JSON: decoding explains it
		}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			if d, ok := tok.(json.Delim); !ok || (d != '}' && d != ']') {
				if top.object {
					// Tokens in an object alternate key, value.
					if !top.key {
						items++
					}
					top.key = !top.key
				} else {
					items++
				}
			}
		}
		if items > maxItems {
			return fmt.Sprintf("The arguments of %s hold more than %d object keys and array elements in all, the limit; send fewer values per call (split the work into several calls).", tool, maxItems)
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				stack = append(stack, frame{object: d == '{'})
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
		}
	}
}
