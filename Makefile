# SPDX-License-Identifier: Apache-2.0
# Convenience targets; the scripts are the real entry points (see README.md).
.PHONY: all build man package demo test bench install uninstall
all: build
# Hardened like install.sh and the packages: PIE, linked by the C toolchain with the
# distributions' flags (override CGO_CFLAGS / CGO_LDFLAGS to use your own).
ifeq ($(strip $(CGO_CFLAGS)),)
CGO_CFLAGS := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
endif
ifeq ($(strip $(CGO_LDFLAGS)),)
CGO_LDFLAGS := -Wl,-z,relro,-z,now
endif
export CGO_CFLAGS CGO_LDFLAGS
build:
	CGO_ENABLED=1 go build -buildmode=pie -trimpath -buildvcs=auto -ldflags=-linkmode=external -o build/ ./cmd/...
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
