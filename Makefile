# swift-fcn — the two set-up commands are `make demo` and `make test`.
SWIFT ?= swift
# Tests run in release mode: the numeric tests (gradient checks, golden parity) are slow in debug.
RELEASE := -c release -Xswiftc -enable-testing

# Fuzzing: `make fuzz` runs N mutated inputs through the built fcn (tools/fuzz.py); `make test`
# ends with a seeded smoke run of FUZZ_SMOKE cases and fails if any case fails.
N ?= 2000
SEED ?= 1
FUZZ_SMOKE ?= 200

.PHONY: setup build test demo bench format clean fuzz

setup:
	@bash scripts/setup

build: setup
	$(SWIFT) build -c release --product fcn

test: setup
	python3 tools/check_imports.py
	$(SWIFT) build $(RELEASE) --build-tests
	$(SWIFT) test $(RELEASE) --skip-build
	python3 tools/fuzz.py --cases $(FUZZ_SMOKE) --seed $(SEED)

# Same flags as the tests, so the two share one build.
fuzz: setup
	$(SWIFT) build $(RELEASE) --product fcn
	python3 tools/fuzz.py --cases $(N) --seed $(SEED)

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
