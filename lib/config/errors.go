// SPDX-License-Identifier: Apache-2.0

package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInsecure is wrapped by every ownership or permission failure of Load: a file that
// someone other than root could have written must not drive root's network setup.
var ErrInsecure = errors.New("insecure configuration file")

// Error is one problem found in a configuration file.
type Error struct {
	Path string
	Line int    // 1-based; 0 when the problem is about the whole file
	Text string // the offending line as written (shortened when long); may be empty
	Msg  string
	Err  error // wrapped cause (ErrInsecure, fs.ErrNotExist, ...); may be nil
}

// Error reads `PATH:LINE: MSG: "TEXT"`; without a line, `PATH: MSG`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Text != "" {
		fmt.Fprintf(&b, ": %q", e.Text)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorList is every problem found in one file, in line order. Parse and Load return
// one (never empty) so that a user can fix all problems in one edit.
type ErrorList []*Error

// Error is one problem per line.
func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.As find each *Error and errors.Is find their causes.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// maxText keeps a 1 MiB line from flooding a terminal.
const maxText = 120

// errs collects problems for one file.
type errs struct {
	path  string
	list  ErrorList
	texts map[int]string // lines as written, so later checks can quote them
}

func (c *errs) add(line int, text, format string, args ...any) {
	if text == "" && line > 0 {
		text = c.texts[line]
	}
	c.list = append(c.list, &Error{Path: c.path, Line: line, Text: shorten(text), Msg: fmt.Sprintf(format, args...)})
}

func (c *errs) wrap(err error, line int, text, format string, args ...any) {
	c.add(line, text, format, args...)
	c.list[len(c.list)-1].Err = err
}

// err returns the collected problems sorted by line, or nil.
func (c *errs) err() error {
	if len(c.list) == 0 {
		return nil
	}
	sort.SliceStable(c.list, func(i, j int) bool { return c.list[i].Line < c.list[j].Line })
	return c.list
}

func shorten(s string) string {
	if len(s) <= maxText {
		return s
	}
	// Cut on a rune boundary so the %q rendering stays readable.
	cut := maxText
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}
