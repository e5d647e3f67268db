package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
)

// tiktokenVersion is the js-tiktoken release that counts tokens.
const tiktokenVersion = "1.0.21"

// tokenizerName says which tokenizer counted, in the report.
const tokenizerName = "o200k_base (js-tiktoken " + tiktokenVersion + ")"

// listSize is the tools array of one server's tools/list.
type listSize struct {
	Tools  int
	JSON   []byte
	Tokens int // o200k_base tokens; 0 when not counted
}

// Bytes is the size of the tools array as the server wrote it.
func (l listSize) Bytes() int { return len(l.JSON) }

// quarterTokens is the usual rule of thumb for English and JSON: one token
// for every four bytes, rounded.
func quarterTokens(n int) int { return (n + 2) / 4 }

// countScript reads {"name": text, …} on stdin and writes {"name": tokens, …}.
const countScript = `
const {Tiktoken} = require("js-tiktoken/lite");
const ranks = require("js-tiktoken/ranks/o200k_base");
const enc = new Tiktoken(ranks.default || ranks);
let buf = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", d => buf += d);
process.stdin.on("end", () => {
  const texts = JSON.parse(buf), out = {};
  for (const k of Object.keys(texts)) out[k] = enc.encode(texts[k]).length;
  process.stdout.write(JSON.stringify(out));
});
`

// countTokens counts every tools array with o200k_base, through node and
// js-tiktoken, filling in Tokens. It returns the tokenizer's name, or, when
// nothing was counted, why not (bytes/4 is then the only estimate).
func countTokens(o options, lists map[string]listSize, stderr io.Writer) (name, why string) {
	if o.tokens == "off" {
		return "", "-tokenizer off"
	}
	if len(lists) == 0 {
		return "", "nothing to count"
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return "", "Node.js is not installed"
	}
	if _, err := npmInstall(o.npmCache, "js-tiktoken", tiktokenVersion, stderr); err != nil {
		if errors.Is(err, errNoNPM) {
			return "", "npm is not installed"
		}
		fmt.Fprintln(stderr, "bench: no tokenizer:", err)
		return "", "js-tiktoken could not be installed"
	}
	texts := map[string]string{}
	for n, l := range lists {
		texts[n] = string(l.JSON)
	}
	in, err := json.Marshal(texts)
	if err != nil {
		return "", err.Error()
	}
	cmd := exec.Command(node, "-e", countScript)
	cmd.Dir = o.npmCache
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = stderr
	out, err := cmd.Output()
	var counts map[string]int
	if err == nil {
		err = json.Unmarshal(out, &counts)
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench: tokenizer failed:", err)
		return "", "the tokenizer failed"
	}
	for n, l := range lists {
		l.Tokens = counts[n]
		lists[n] = l
	}
	return tokenizerName, ""
}
