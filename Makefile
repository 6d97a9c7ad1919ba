# lifeboat — the two commands at the top of README.md work on a fresh
# Debian 12 machine as root: `make demo` and `make test`.
BUILD      ?= build
TEST_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS       ?= 2

.PHONY: all bootstrap build demo test unit bench bench-scale bench-postgres bench-redis fuzz clean format

all: build

bootstrap:
	scripts/bootstrap

build: bootstrap
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIFEBOAT_TESTS=OFF
	ninja -C $(BUILD) -j$(JOBS) lifeboat

# Backs up a generated sample tree into a local repository under demo-work/,
# changes it, backs up again, restores, checks, and prints what happened.
demo: build
	scripts/demo $(BUILD)/lifeboat

# Every test, built with AddressSanitizer and UndefinedBehaviorSanitizer, then
# every fuzz target briefly (clang + libFuzzer; make fuzz runs them longer).
test: bootstrap
	cmake -S . -B $(TEST_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIFEBOAT_SANITIZE=ON
	ninja -C $(TEST_BUILD) -j$(JOBS)
	ctest --test-dir $(TEST_BUILD) --output-on-failure -j$(JOBS)
	cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIFEBOAT_TSAN=ON
	ninja -C $(TSAN_BUILD) -j$(JOBS) lifeboat_tsan_tests
	$(TSAN_BUILD)/lifeboat_tsan_tests
	JOBS=$(JOBS) scripts/fuzz $(FUZZ_BRIEF)

FUZZ_BRIEF   ?= 5
FUZZ_SECONDS ?= 300
# Longer fuzzing campaigns: FUZZ_SECONDS per target (tests/fuzz).
fuzz: bootstrap
	JOBS=$(JOBS) scripts/fuzz $(FUZZ_SECONDS)

# Unit tests only (fast).
unit: bootstrap
	cmake -S . -B $(TEST_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIFEBOAT_SANITIZE=ON
	ninja -C $(TEST_BUILD) -j$(JOBS) lifeboat_unit_tests
	$(TEST_BUILD)/lifeboat_unit_tests

# lifeboat, restic and borg side by side on a 2.6 GB dataset (bench/README.md).
bench: bootstrap
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIFEBOAT_TESTS=OFF
	ninja -C $(BUILD) -j$(JOBS) lifeboat gen_dataset bench_limits gen_blobs
	bench/run $(BUILD)

# How time and memory grow: 1M small files, and a repository of 5M blobs.
bench-scale: bootstrap
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIFEBOAT_TESTS=OFF
	ninja -C $(BUILD) -j$(JOBS) lifeboat gen_dataset gen_blobs
	bench/scale $(BUILD)

# lifeboat against pgBackRest and pg_dump/pg_restore on one PostgreSQL 15 (bench/README.md).
bench-postgres: build
	bench/postgres $(BUILD)

# lifeboat against redis-cli --rdb (plain and gzip -9) on one redis-server (bench/redis).
bench-redis: build
	bench/redis $(BUILD)

format:
	clang-format -i $$(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc')

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(TSAN_BUILD) build-fuzz demo-work
