package options

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	errBoom := errors.New("boom")
	for _, tc := range []struct {
		args []string
		set  []string // name=value or name (Inline, alone), in order
		rest []string
		err  string
	}{
		{args: nil},
		{args: []string{"--a=1", "-a", "2", "--b", "x"}, set: []string{"a=1", "a=2", "b"}, rest: []string{"x"}},
		{args: []string{"--b=yes", "--", "--a=1"}, set: []string{"b=yes"}, rest: []string{"--", "--a=1"}},
		{args: []string{"-", "--a=1"}, rest: []string{"-", "--a=1"}},
		{args: []string{"--a", "--b"}, set: []string{"a=--b"}},
		{args: []string{"--a=", "cmd"}, set: []string{"a="}, rest: []string{"cmd"}},
		{args: []string{"--a"}, err: "option --a needs a value"},
		{args: []string{"--c=1"}, err: `unknown option "--c=1"`},
		{args: []string{"---a=1"}, err: `unknown option "---a=1"`},
		{args: []string{"--fail=x", "--a=1"}, err: "boom"},
	} {
		var set []string
		record := func(name string) func(string, bool) error {
			return func(v string, has bool) error {
				if has {
					name += "=" + v
				}
				set = append(set, name)
				return nil
			}
		}
		flags := []Flag{
			{Name: "a", Set: func(v string, has bool) error { return record("a")(v, has) }},
			{Name: "b", Inline: true, Set: func(v string, has bool) error { return record("b")(v, has) }},
			{Name: "fail", Set: func(string, bool) error { return errBoom }},
		}
		rest, err := ParseFlags(tc.args, flags)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseFlags(%q) error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(set, tc.set) || !reflect.DeepEqual(rest, tc.rest) {
			t.Errorf("ParseFlags(%q) = %q, %v, set %q; want %q, set %q", tc.args, rest, err, set, tc.rest, tc.set)
		}
	}
}
