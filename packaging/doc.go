// SPDX-License-Identifier: Apache-2.0

// Package packaging holds the tests of what users install: the man pages against
// the programs' --help, --version against the tree it was built from, and the
// Debian, RPM and Arch packages (built from nfpm.yaml by scripts/package) and the
// PKGBUILD against each other. The packager itself is pinned in nfpm/go.mod.
package packaging
