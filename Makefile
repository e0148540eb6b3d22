# Convenience targets; the scripts are the real entry points (see README.md).
.PHONY: all build man package demo test bench install uninstall
all: build
build:
	CGO_ENABLED=1 go build -trimpath -buildvcs=auto -o build/ ./cmd/...
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
