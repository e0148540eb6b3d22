// SPDX-License-Identifier: Apache-2.0

// Package logx owns where the binaries' messages go: one line per action to the
// journal under the binary's identifier (stderr of a udev RUN program is lost), and to
// stderr when a person runs the binary from a terminal or no journal is there.
package logx

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/bond-hotplug/bond-hotplug/lib/version"
	"github.com/coreos/go-systemd/v22/journal"
	"golang.org/x/term"
)

// Logger writes to the journal and/or a writer.
type Logger struct {
	ID      string    // SYSLOG_IDENTIFIER
	Out     io.Writer // nil: none
	Journal bool
	// Version is the build (version.Info.Line). The first journal line of a run ends
	// with it, so that every run's log says once which build acted; every journal
	// entry also carries it as the field BOND_HOTPLUG_VERSION
	// (journalctl BOND_HOTPLUG_VERSION=... finds a build's runs).
	Version   string
	stampOnce sync.Once
}

// New picks the destinations: the journal when its socket exists, stderr when it is a
// terminal or when there is no journal.
func New(id string, stderr *os.File) *Logger {
	l := &Logger{ID: id, Journal: journal.Enabled(), Version: version.Get().Line()}
	if !l.Journal || term.IsTerminal(int(stderr.Fd())) || os.Getenv("BOND_HOTPLUG_STDERR") == "1" {
		l.Out = stderr
	}
	return l
}

func (l *Logger) send(p journal.Priority, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if l.Journal {
		// A journal failure must not fail the run: the message still reaches Out.
		_ = journal.Send(l.stamp(msg), p, l.fields())
	}
	if l.Out != nil {
		fmt.Fprintf(l.Out, "%s: %s\n", l.ID, msg)
	}
}

// Info logs an action or a fact.
func (l *Logger) Info(format string, args ...any) { l.send(journal.PriInfo, format, args...) }

// Warn logs something left alone or odd.
func (l *Logger) Warn(format string, args ...any) { l.send(journal.PriWarning, format, args...) }

// Error logs a failure.
func (l *Logger) Error(format string, args ...any) { l.send(journal.PriErr, format, args...) }

// JournalOnly logs to the journal only, for what the caller already printed itself.
func (l *Logger) JournalOnly(format string, args ...any) {
	if l.Journal {
		_ = journal.Send(l.stamp(fmt.Sprintf(format, args...)), journal.PriInfo, l.fields())
	}
}

// stamp appends the version to the first journal message of the process (a run).
func (l *Logger) stamp(msg string) string {
	l.stampOnce.Do(func() {
		if l.Version != "" {
			msg += " [" + l.ID + " " + l.Version + "]"
		}
	})
	return msg
}

func (l *Logger) fields() map[string]string {
	f := map[string]string{"SYSLOG_IDENTIFIER": l.ID}
	if l.Version != "" {
		f["BOND_HOTPLUG_VERSION"] = l.Version
	}
	return f
}
