// SPDX-License-Identifier: Apache-2.0

// Package version says which build of bond-hotplug is running. The release is the
// one place the version is written (the file VERSION here, read by scripts/package
// and checked against the PKGBUILD and CHANGELOG.md by packaging's tests). Everything
// else comes from the information the Go toolchain records in the binary
// (runtime/debug.ReadBuildInfo): the module version, the VCS revision, whether the
// tree had uncommitted changes, and the Go version, so a binary cannot claim a
// revision it was not built from.
package version

import (
	_ "embed" // the release number, from VERSION
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

//go:embed VERSION
var release string

// Release is the version of the source, e.g. "0.1.0": between two releases it names
// the last one (the revision says which commit after it).
func Release() string { return strings.TrimSpace(release) }

// Package is the version of the distribution package the binary was built for
// (scripts/package sets it with -ldflags -X). Empty for any other build. It names the
// package, not the source: the revision below is what identifies the code.
var Package string

// Info is what a binary knows about its own build.
type Info struct {
	Release  string // the source's release (VERSION)
	Module   string // module version: a tag, a pseudo-version, "(devel)"
	Revision string // full VCS revision, "" when built outside a work tree
	Time     string // commit time (RFC 3339), "" when unknown
	Modified bool   // the work tree had uncommitted changes
	Go       string // toolchain version, e.g. go1.26.8
	Package  string // distribution package version, "" when not packaged
}

// Get reads the running binary's build information.
func Get() Info {
	i := Info{Release: Release(), Module: "(unknown)", Go: runtime.Version(), Package: Package}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return i
	}
	if bi.Main.Version != "" {
		i.Module = bi.Main.Version
	}
	if bi.GoVersion != "" {
		i.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.time":
			i.Time = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		}
	}
	return i
}

// Line is the one-line form for logs and status headers, e.g.
// "0.1.0 (package 0.1.0, revision 777fb70abcde, go1.26.8)".
func (i Info) Line() string {
	var parts []string
	if i.Package != "" {
		parts = append(parts, "package "+i.Package)
	}
	switch {
	case i.Revision == "":
		parts = append(parts, "revision unknown")
	case i.Modified:
		parts = append(parts, "revision "+short(i.Revision)+", dirty")
	default:
		parts = append(parts, "revision "+short(i.Revision))
	}
	parts = append(parts, i.Go)
	return fmt.Sprintf("%s (%s)", i.Release, strings.Join(parts, ", "))
}

// Text is what --version prints for the program name.
func (i Info) Text(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", name, i.Release)
	if i.Package != "" {
		fmt.Fprintf(&b, "package:  %s\n", i.Package)
	}
	if i.Module != "(devel)" && i.Module != "(unknown)" {
		fmt.Fprintf(&b, "module:   %s\n", i.Module)
	}
	switch {
	case i.Revision == "":
		// go build records none outside a work tree, from a release tarball, or with
		// -buildvcs=false (which is not recorded itself): which one is not known.
		fmt.Fprintf(&b, "revision: unknown (no VCS information recorded in the build)\n")
	case i.Modified:
		fmt.Fprintf(&b, "revision: %s dirty (the tree had uncommitted changes)\n", i.Revision)
	default:
		fmt.Fprintf(&b, "revision: %s\n", i.Revision)
	}
	if i.Time != "" {
		fmt.Fprintf(&b, "commit:   %s\n", i.Time)
	}
	fmt.Fprintf(&b, "go:       %s %s/%s\n", i.Go, runtime.GOOS, runtime.GOARCH)
	return b.String()
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
