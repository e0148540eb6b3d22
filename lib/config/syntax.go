// SPDX-License-Identifier: Apache-2.0

package config

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxSize is the largest file Parse and Load accept. The real file is a few hundred
// bytes; anything near this is a mistake (or an attack), not a configuration.
const MaxSize = 1 << 20

var bom = []byte("\xEF\xBB\xBF")

// entry is one KEY=VALUE assignment with its value already unquoted.
type entry struct {
	key   string
	value string
	line  int
	text  string // the line as written, for messages
}

// scan is the syntax layer: it turns the file into assignments and knows nothing of
// what the keys mean. The grammar is the intersection of what systemd's
// EnvironmentFile= and dotenv readers agree on, so the seed's units keep working.
func scan(e *errs, data []byte) []entry {
	if len(data) > MaxSize {
		e.add(0, "", "file is %d bytes, larger than the %d-byte limit; refusing to parse it", len(data), MaxSize)
		return nil
	}
	if bytes.HasPrefix(data, bom) {
		data = data[len(bom):]
		first, _, _ := strings.Cut(string(data), "\n")
		e.add(1, first, "byte order mark (U+FEFF) at the start of the file; save it as UTF-8 without a BOM")
	}
	lines := strings.Split(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var out []entry
	crlfLine, crlfCount := 0, 0
	for i, line := range lines {
		n := i + 1
		if strings.HasSuffix(line, "\r") {
			line = line[:len(line)-1]
			if crlfCount == 0 {
				crlfLine = n
			}
			crlfCount++
		}
		if msg := badBytes(line); msg != "" {
			e.add(n, line, "%s", msg)
			continue
		}
		ent, msg, ok := scanLine(line)
		if msg != "" {
			e.add(n, line, "%s", msg)
			continue
		}
		if ok {
			if e.texts == nil {
				e.texts = map[int]string{}
			}
			e.texts[n] = line
			ent.line, ent.text = n, line
			out = append(out, ent)
		}
	}
	if crlfCount == 1 {
		e.add(crlfLine, strings.TrimSuffix(lines[crlfLine-1], "\r"), "CRLF line ending; use Unix line endings")
	} else if crlfCount > 1 {
		more := "1 more line"
		if crlfCount > 2 {
			more = fmt.Sprintf("%d more lines", crlfCount-1)
		}
		e.add(crlfLine, strings.TrimSuffix(lines[crlfLine-1], "\r"),
			"CRLF line ending (and on %s); convert the file to Unix line endings, e.g. with dos2unix", more)
	}
	return out
}

// badBytes rejects bytes that have no business in a hand-written text file.
func badBytes(line string) string {
	if strings.IndexByte(line, 0) >= 0 {
		return "NUL byte in line"
	}
	if !utf8.ValidString(line) {
		return "invalid UTF-8"
	}
	for _, r := range line {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return fmt.Sprintf("control character %U in line", r)
		}
	}
	return ""
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// scanLine parses one line. ok is false for blank and comment lines; msg is non-empty
// on a syntax error.
func scanLine(line string) (ent entry, msg string, ok bool) {
	s := strings.TrimLeft(line, " \t")
	if s == "" || s[0] == '#' {
		return entry{}, "", false
	}
	if rest, found := strings.CutPrefix(s, "export"); found && rest != "" && isBlank(rest[0]) {
		s = strings.TrimLeft(rest, " \t")
	}
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return entry{}, "line has no '=' (expected KEY=VALUE or a # comment)", false
	}
	key := strings.TrimRight(s[:eq], " \t")
	if key == "" {
		return entry{}, "empty key before '='", false
	}
	if msg := checkKeyChars(key); msg != "" {
		return entry{}, msg, false
	}
	value, msg := scanValue(s[eq+1:])
	if msg != "" {
		return entry{}, msg, false
	}
	return entry{key: key, value: value}, "", true
}

func checkKeyChars(key string) string {
	for _, r := range key {
		if r < utf8.RuneSelf && isKeyByte(byte(r)) {
			continue
		}
		switch {
		case r == '-':
			return fmt.Sprintf("key %q contains '-': write '-' in interface names as '_' in keys", key)
		case r == ' ' || r == '\t':
			return fmt.Sprintf("key %q contains a space", key)
		default:
			return fmt.Sprintf("key %q contains %q; keys may only use A-Z a-z 0-9 _ .", key, r)
		}
	}
	return ""
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}

// scanValue unquotes what follows '='.
func scanValue(raw string) (string, string) {
	rest := strings.TrimLeft(raw, " \t")
	if rest == "" {
		return "", ""
	}
	switch rest[0] {
	case '\'':
		end := strings.IndexByte(rest[1:], '\'')
		if end < 0 {
			return "", "unterminated single quote (a quoted value must end on the same line)"
		}
		return rest[1 : 1+end], checkTrailer(rest[2+end:])
	case '"':
		var b strings.Builder
		for i := 1; i < len(rest); i++ {
			switch c := rest[i]; c {
			case '\\':
				if i+1 == len(rest) {
					return "", "unterminated double quote (a quoted value must end on the same line)"
				}
				i++
				switch rest[i] {
				case '"', '\\':
					b.WriteByte(rest[i])
				case 'n':
					b.WriteByte('\n')
				default:
					return "", fmt.Sprintf(`unknown escape \%c in double-quoted value (only \" \\ \n are recognised; use single quotes for literal text)`, rest[i])
				}
			case '"':
				return b.String(), checkTrailer(rest[i+1:])
			default:
				b.WriteByte(c)
			}
		}
		return "", "unterminated double quote (a quoted value must end on the same line)"
	}
	// Unquoted: a '#' preceded by a blank starts a comment. raw (not rest) keeps the
	// blank after '=' so that `KEY= # note` is an empty value.
	for i := 1; i < len(raw); i++ {
		if raw[i] == '#' && isBlank(raw[i-1]) {
			raw = raw[:i]
			break
		}
	}
	return strings.Trim(raw, " \t"), ""
}

func checkTrailer(t string) string {
	t = strings.TrimLeft(t, " \t")
	if t == "" || t[0] == '#' {
		return ""
	}
	return fmt.Sprintf("text %q after the closing quote (quote the whole value, or start a comment with #)", t)
}
