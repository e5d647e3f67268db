package sqlcheck

import (
	"reflect"
	"testing"
)

func TestStatements(t *testing.T) {
	got, err := Statements("  BEGIN; select 'a;b', \"Q\" -- c;\n;; SET x = $1 ")
	want := []Statement{
		{Text: "BEGIN", Words: []string{"begin"}},
		{Text: "select 'a;b', \"Q\" -- c;", Words: []string{"select", "", ",", ""}},
		{Text: "SET x = $1", Words: []string{"set", "x", "=", ""}},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Statements = %q, %v; want %q", got, err, want)
	}
	if _, err := Statements("select 'x"); err == nil {
		t.Error("an unterminated literal was accepted")
	}
}
