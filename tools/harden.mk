# harden.mk - fuzzing, sanitizer and valgrind runs, load and benchmark (included by the Makefile).
#
#   make fuzz         build every tests/fuzz/fuzz_<name>.c with libFuzzer (clang) and run each for
#                     FUZZ_TIME seconds from its seed corpus tests/fuzz/corpus/<name>/
#   make fuzz-replay  replay every seed and past crasher (tests/fuzz/regress/<name>/) through each
#                     target with a plain driver: no libFuzzer needed, runs under any CC/SAN
#   make asan         the whole suite plus fuzz-replay built with ASan + UBSan (build/asan)
#   make valgrind     the suites with the server under memcheck: zero errors, zero definite leaks
#   make bench        callgrind counts per request (bench-callgrind), then wrk against vramfit and
#                     nginx on loopback; writes build/bench-callgrind.json and build/bench.json
#   make bench-callgrind  instructions and allocations per request kind, with issue 10's targets
#   make soak         load at high concurrency for SOAK_TIME seconds; RSS must stay flat; then
#                     1,100 slow uploaders while /healthz on --probe-port must answer within 1 s
#   make faults       the same load while the catalog refresher fails every way, every second
#
# A new fuzz target is one file, tests/fuzz/fuzz_<name>.c defining LLVMFuzzerTestOneInput, and a
# seed directory tests/fuzz/corpus/<name>/ (optionally tests/fuzz/<name>.dict): nothing to edit here.

FUZZ_CC    ?= clang
FUZZ_TIME  ?= 60
FUZZ_JOBS_ARGS ?=
FUZZ_BUILD := build/fuzz
FUZZ_SAN   := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))

ASAN_BUILD := build/asan
ASAN_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# Leaks fail the run (exit 23 from LSan) in the server and in every forked Check child.
ASAN_ENV   := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23:strict_string_checks=1:detect_stack_use_after_return=1 \
              UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

VALGRIND_BUILD := build/valgrind

SOAK_TIME ?= 120
FAULT_TIME ?= 60

.PHONY: faults test-bins fuzz fuzz-build fuzz-targets fuzz-replay fuzz-replay-targets asan valgrind bench bench-callgrind soak

# libFuzzer binaries: core and config rebuilt with coverage + sanitizers in $(FUZZ_BUILD).
fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT='-O1 -g' \
	  SAN='$(FUZZ_SAN)' fuzz-targets

fuzz-targets: $(FUZZ_NAMES:%=$(BUILD)/fuzz_%)

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(CONFIG_LIB) $(CORE_LIB)
	@echo "  FUZZ    $@"
	@$(CC) $(SERVER_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(JANSSON_LIBS) -lpthread -lm

# Each target runs FUZZ_TIME seconds; new inputs go to $(FUZZ_BUILD)/corpus/<name>/ (the seeds in
# the repository stay as they are), crashers to $(FUZZ_BUILD)/crashes/<name>/. A crash stops the
# run: minimise it, add it to tests/fuzz/regress/<name>/ and fix the code.
fuzz: fuzz-build
	@for n in $(FUZZ_NAMES); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$n $(FUZZ_BUILD)/crashes/$$n; \
	  dict=; [ -f tests/fuzz/$$n.dict ] && dict=-dict=tests/fuzz/$$n.dict; \
	  regress=; [ -d tests/fuzz/regress/$$n ] && regress=tests/fuzz/regress/$$n; \
	  echo "  FUZZ    $$n for $(FUZZ_TIME) s (log: $(FUZZ_BUILD)/$$n.log)"; \
	  if ! $(FUZZ_BUILD)/fuzz_$$n -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	       -print_final_stats=1 $$dict $(FUZZ_JOBS_ARGS) -artifact_prefix=$(FUZZ_BUILD)/crashes/$$n/ \
	       $(FUZZ_BUILD)/corpus/$$n tests/fuzz/corpus/$$n $$regress >$(FUZZ_BUILD)/$$n.log 2>&1; then \
	    tail -n 60 $(FUZZ_BUILD)/$$n.log; echo "fuzz: $$n FAILED; crasher in $(FUZZ_BUILD)/crashes/$$n/"; \
	    exit 1; \
	  fi; \
	  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|INFO: seed corpus|DONE|nothing to fuzz' \
	    $(FUZZ_BUILD)/$$n.log | sed "s/^/  $$n: /"; \
	done

# The same targets with a plain main() (tests/fuzz/replay.c): replays seeds and regressions.
FUZZ_REPLAY_BIN := $(FUZZ_NAMES:%=$(BUILD)/fuzz-replay/fuzz_%)
$(BUILD)/fuzz-replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(CONFIG_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@echo "  REPLAY  $@"
	@$(CC) $(SERVER_CFLAGS) -Wno-missing-prototypes -o $@ $^ $(JANSSON_LIBS) -lpthread -lm

fuzz-replay: $(FUZZ_REPLAY_BIN)
	@for n in $(FUZZ_NAMES); do \
	  regress=; [ -d tests/fuzz/regress/$$n ] && regress=tests/fuzz/regress/$$n; \
	  $(BUILD)/fuzz-replay/fuzz_$$n tests/fuzz/corpus/$$n $$regress || exit 1; \
	done

# Everything (Check suites, integration against the sanitized server, fuzz corpus replay) built
# with ASan + UBSan; the first report fails the run.
asan:
	@$(ASAN_ENV) $(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) SAN='$(ASAN_SAN)' OPT='-O1 -g' \
	  unit-test fuzz-replay

# The suites with the server binary under memcheck (tools/valgrind-server.sh); Check runs in
# no-fork mode so the unit suites themselves are checked too. Any error or definite leak fails.
valgrind:
	@$(MAKE) --no-print-directory BUILD=$(VALGRIND_BUILD) OPT='-O1 -g' test-bins
	@./tools/valgrind-suite.sh $(VALGRIND_BUILD)

test-bins: $(BIN) $(TEST_BIN) $(SEED_CASES)

# BENCH_ARGS: e.g. '--compare /path/to/older/vramfit' (measured in the same runs), '--runs 5'.
BENCH_ARGS ?=
# make bench starts with the callgrind counts (repeatable on a noisy machine), then runs wrk; a
# missed callgrind target fails it at the end, after the wrk figures are printed.
bench: $(BIN)
	@python3 bench/callgrind.py --bin $(BIN) --out $(BUILD)/bench-callgrind.json; cg=$$?; \
	  python3 bench/bench.py --bin $(BIN) --out $(BUILD)/bench.json $(BENCH_ARGS) && exit $$cg

# Instructions and allocations per request kind under callgrind, against issue 10's targets.
bench-callgrind: $(BIN)
	python3 bench/callgrind.py --bin $(BIN) --out $(BUILD)/bench-callgrind.json

soak: $(BIN)
	python3 bench/bench.py --bin $(BIN) --soak $(SOAK_TIME) --out $(BUILD)/soak.json

faults: $(BIN)
	python3 bench/bench.py --bin $(BIN) --faults $(FAULT_TIME) --out $(BUILD)/faults.json
