// Package version says which build of bond-hotplug is running. Everything but the
// distribution package's version comes from the information the Go toolchain records
// in the binary (runtime/debug.ReadBuildInfo): the module version (derived by go build
// from the VCS tag or commit), the VCS revision, whether the tree had uncommitted
// changes, and the Go version. Nothing here is typed by hand, so a binary cannot claim
// a revision it was not built from.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Package is the version of the distribution package the binary was built for
// (scripts/package sets it with -ldflags -X). Empty for any other build. It names the
// package, not the source: the revision below is what identifies the code.
var Package string

// Info is what a binary knows about its own build.
type Info struct {
	Module   string // module version: a tag, a pseudo-version, "(devel)"
	Revision string // full VCS revision, "" when built outside a work tree
	Time     string // commit time (RFC 3339), "" when unknown
	Modified bool   // the work tree had uncommitted changes
	Go       string // toolchain version, e.g. go1.26.8
	Package  string // distribution package version, "" when not packaged
}

// Get reads the running binary's build information.
func Get() Info {
	i := Info{Module: "(unknown)", Go: runtime.Version(), Package: Package}
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
// "v0.0.0-20261203075719-777fb70abcde (revision 777fb70abcde, go1.26.8)".
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
	return fmt.Sprintf("%s (%s)", i.Module, strings.Join(parts, ", "))
}

// Text is what --version prints for the program name.
func (i Info) Text(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", name, i.Module)
	if i.Package != "" {
		fmt.Fprintf(&b, "package:  %s\n", i.Package)
	}
	switch {
	case i.Revision == "":
		fmt.Fprintf(&b, "revision: unknown (not built from a git work tree)\n")
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
