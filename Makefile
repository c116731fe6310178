# swapstream — the commands the README gives. Each target installs what it needs first
# (scripts/install-stack.sh is idempotent: a second run takes seconds).

CARGO ?= cargo
GUEST_CRATES := -p swapstream-guest -p swapstream-telemetry -p swapstream-average -p swapstream-stats -p swapstream-misbehave -p swapstream-contract-v1 -p swapstream-contract-next -p swapstream-template

.PHONY: demo test check lint unit-tests terraform-checks package bench bench-service stack

## demo: the whole pipeline live on local servers
demo: stack
	$(CARGO) run --profile quick --quiet -p swapstream-tests --bin demo

## test: everything CI runs — formatting, lints (host and guest target), all tests, Terraform checks
test: stack lint unit-tests terraform-checks fuzz-smoke

stack:
	scripts/install-stack.sh

# Clippy in the tests' profile: the C libraries built by build scripts (librdkafka, OpenSSL)
# are then built once for lints and tests instead of once per profile.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --profile quick -- -D warnings
	$(CARGO) clippy --target wasm32-wasip2 $(GUEST_CRATES) -- -D warnings

# One profile for every test (`quick`, see Cargo.toml): the modules compile far faster in an
# optimised host, and without LTO each test binary links in seconds. `--no-fail-fast`: one
# failing test binary does not hide the results of the others. The run builds the
# `swapstream` binary for the host's integration tests; SWAPSTREAM_TEST_BIN_BUILT tells the
# end-to-end tests to use it instead of building it again (tests/src/lib.rs).
unit-tests:
	SWAPSTREAM_TEST_BIN_BUILT=1 $(CARGO) test --workspace --profile quick --no-fail-fast

terraform-checks:
	scripts/check-terraform.sh

## fuzz-smoke: each fuzz target for a bounded time on the nightly toolchain (TESTING.md)
fuzz-smoke: ; scripts/fuzz.sh smoke

## container: the service mode image (needs Docker with buildx, which CI machines do not run);
## CONTAINER_PLATFORM=linux/amd64 for X86_64 tasks, CONTAINER_TAG to name it
.PHONY: container
container:
	docker buildx build --platform "$${CONTAINER_PLATFORM:-linux/arm64}" \
		-f deploy/container/Dockerfile -t "$${CONTAINER_TAG:-swapstream:dev}" .

## package: the arm64 Lambda zip and the modules Terraform uploads (dist/)
package:
	scripts/package.sh

## bench: criterion benchmarks and peak memory (results in BENCHMARKS.md)
bench:
	$(CARGO) bench -p swapstream
	scripts/bench-rss.sh

## bench-service: service mode end to end against a consume-only baseline (BENCHMARKS.md)
bench-service:
	scripts/bench-service.sh
