# swift-fcn — the two set-up commands are `make demo` and `make test`.
SWIFT ?= swift
# Tests run in release mode: the numeric tests (gradient checks, golden parity) are slow in debug.
RELEASE := -c release -Xswiftc -enable-testing

.PHONY: setup build test demo bench format clean

setup:
	@bash scripts/setup

build: setup
	$(SWIFT) build -c release --product fcn

test: setup
	python3 tools/check_imports.py
	$(SWIFT) build $(RELEASE) --build-tests
	$(SWIFT) test $(RELEASE) --skip-build

demo: build
	.build/release/fcn demo

# Needs PyTorch for the baseline (pip install torch==2.13.0 numpy); writes docs/benchmarks.md.
bench: build
	python3 tools/compare_conv.py --rounds 5 --out docs/benchmarks.md
	python3 tools/run_benchmarks.py --out docs/benchmarks.md

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build
