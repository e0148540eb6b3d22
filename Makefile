# SPDX-License-Identifier: Apache-2.0
# Convenience targets; the scripts are the real entry points (see README.md).
.PHONY: all build man package demo test bench install uninstall
all: build
# Built like install.sh and the packages: pure Go (no C part, no C library loaded),
# position-independent, with RELRO (Go's linker makes it for PIE) and -bindnow.
build:
	CGO_ENABLED=0 go build -buildmode=pie -trimpath -buildvcs=auto -ldflags=-bindnow -o build/ ./cmd/...
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
