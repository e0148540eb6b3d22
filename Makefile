# Convenience targets; the scripts are the real entry points (see README.md).
.PHONY: all build demo test bench install uninstall
all: build
build:
	CGO_ENABLED=1 go build -o build/ ./cmd/...
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
