// SPDX-License-Identifier: Apache-2.0

package config

import (
	"errors"
	"strings"
	"testing"
)

const testPath = "test.conf"

// mustParse parses src and fails the test on any error.
func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse(testPath, []byte(src))
	if err != nil {
		t.Fatalf("Parse:\n%v\ninput:\n%s", err, src)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("a parsed config does not validate:\n%v", err)
	}
	return c
}

// mustFail parses src, expects an error list and returns it.
func mustFail(t *testing.T, src string) ErrorList {
	t.Helper()
	c, err := Parse(testPath, []byte(src))
	if err == nil {
		t.Fatalf("Parse accepted %q: %+v", src, c)
	}
	if c != nil {
		t.Errorf("Parse returned a config along with an error")
	}
	var list ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("error is not a non-empty ErrorList: %T %v", err, err)
	}
	var one *Error
	if !errors.As(err, &one) {
		t.Fatalf("errors.As(*Error) failed on %v", err)
	}
	return list
}

// findError returns the error at line whose message contains want.
func findError(list ErrorList, line int, want string) *Error {
	for _, e := range list {
		if e.Line == line && strings.Contains(e.Msg, want) {
			return e
		}
	}
	return nil
}
