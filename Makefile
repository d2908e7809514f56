# The two commands of the README's Quick start. Everything else is CMake + ctest.
BUILD ?= build
JOBS ?= $(shell nproc)
DB ?= file://./twill-data

.PHONY: all deps build run test test-asan bench format check-format clean

all: build

deps:
	@bash scripts/install-deps.sh
	@bash scripts/install-bun.sh >/dev/null

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The server on the embedded default database; any PostgreSQL client connects to it.
# (The embedded shell on the same database: build/tools/twill/twill $(DB) — not while
# the server has it open.)
PORT ?= 5433
run: build
	@echo "twill-server: database $(DB) on 127.0.0.1:$(PORT); connect with"
	@echo "    psql \"host=127.0.0.1 port=$(PORT) user=postgres sslmode=disable\""
	@echo "Ctrl-C stops it (clean shutdown)."
	$(BUILD)/server/twill-server --listen 127.0.0.1:$(PORT) --db $(DB)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
ifeq ($(CI),true)
	$(MAKE) test-asan
	$(MAKE) check-format
endif

# ASan+UBSan build of the unit and SQL tests (always run in CI).
test-asan: deps
	@cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DTWILL_SANITIZE=ON -DTWILL_BENCH=OFF >/dev/null
	@cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS) -L 'unit|sql'

# Benchmarks (bench/): builds and runs each one, its anchor (SQLite, ...) in the same
# run. A benchmark prints figures; it is never part of `make test`.
bench: build
	@cmake --build $(BUILD) --target bench

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

check-format:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD)-asan
