# SPDX-License-Identifier: Apache-2.0
# Convenience targets; the scripts are the real entry points (see README.md).
.PHONY: all build man package demo test bench install uninstall
all: build
# Built like install.sh and the packages: position-independent, and without cgo (no C
# code: the binaries link no shared library at all and start like a static program;
# see install.sh).
build:
	CGO_ENABLED=0 go build -buildmode=pie -trimpath -buildvcs=auto -o build/ ./cmd/...
man:
	./man/render build/man
# dist/*.deb, *.rpm, *.pkg.tar.zst from packaging/nfpm.yaml; VERSION=... to choose it.
package:
	./scripts/package
demo:
	./scripts/demo
test:
	./scripts/test
install:
	./install.sh
uninstall:
	./install.sh --uninstall
bench:
	./bench/run.sh
