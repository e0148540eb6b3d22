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

// MaxReported is how many problems Error spells out: a file of junk (a binary copied
// over it) must cost one screen and one journal message of bounded size, not one
// line per junk line.
const MaxReported = 20

// Error is one problem per line, the first MaxReported of them, then how many more.
func (l ErrorList) Error() string {
	n := min(len(l), MaxReported)
	s := make([]string, n, n+1)
	for i, e := range l[:n] {
		s[i] = e.Error()
	}
	if more := len(l) - n; more > 0 {
		s = append(s, fmt.Sprintf("%s: ... and %d more problems (%d in all; the first %d are shown)", l[0].Path, more, len(l), n))
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
	c.list = append(c.list, &Error{Path: c.path, Line: line, Text: shorten(text), Msg: shortenMsg(fmt.Sprintf(format, args...))})
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

// maxMsg bounds a message, which may quote a value of any length.
const maxMsg = 4 * maxText

func shortenMsg(s string) string {
	if len(s) <= maxMsg {
		return s
	}
	cut := maxMsg
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
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
