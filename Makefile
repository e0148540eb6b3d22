# SPDX-License-Identifier: Apache-2.0
# Convenience targets; the scripts are the real entry points (see README.md).
.PHONY: all build man package demo test bench install uninstall
all: build
# The build of install.sh and the packages: scripts/build says how, and why.
build:
	./scripts/build
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
