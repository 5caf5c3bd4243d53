# Makefile - builds core (static lib), config (embedded data + options), the server and the tests.
#
# Layout is discovered by globbing, so adding core/<layer>/foo.c or tests/unit/check_foo.c needs no
# edit here. The layers and what each may include are in docs/ARCHITECTURE.md; tools/layers.sh
# checks them on every build (a wrong-way include fails `make`).
#   core/<layer>/*.c  -> build/libvramfit-core.a   (C17 + jansson only; never microhttpd or curl)
#   config/*.c        -> build/libvramfit-config.a (options table, embedded default data files)
#   server/<layer>/*.c + server/main.c -> build/vramfit (libmicrohttpd glue; no libcurl)
#   server/fetcher/   -> build/vramfit-fetch       (the refresher's libcurl GETs; only it links curl)
#   tests/unit/check_*.c, tests/server/check_*.c -> build/tests/check_*   (one Check binary each)

CC       ?= cc
BUILD    ?= build
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

WARN     := -Wall -Wextra -Werror -Wswitch-enum -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wcast-qual -Wformat=2 -Wvla -Wundef -fno-common
OPT      ?= -O2 -g
SAN      ?=
BASEFLAGS := -std=c17 -D_POSIX_C_SOURCE=200809L $(WARN) $(OPT) $(SAN) -MMD -MP \
             -DVRAMFIT_VERSION='"$(VERSION)"' -DVRAMFIT_GIT_REV='"$(GIT_REV)"'

PKG_CONFIG ?= pkg-config
JANSSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)
MHD_CFLAGS     := $(shell $(PKG_CONFIG) --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS       := $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
CURL_CFLAGS    := $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CURL_LIBS      := $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null || echo -lcurl)
CHECK_CFLAGS   := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS     := $(shell $(PKG_CONFIG) --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm)
ZLIB_CFLAGS    := $(shell $(PKG_CONFIG) --cflags zlib 2>/dev/null)
ZLIB_LIBS      := $(shell $(PKG_CONFIG) --libs zlib 2>/dev/null || echo -lz)

# Includes name their layer ("model/arch.h", "http/routes.h", "config/presets.h"). core sees only
# jansson; tools/layers.sh (run before every build) refuses microhttpd.h or curl.h there.
CORE_CFLAGS   := $(BASEFLAGS) $(JANSSON_CFLAGS) -Icore
CONFIG_CFLAGS := $(BASEFLAGS) $(JANSSON_CFLAGS) -Icore -I.
SERVER_CFLAGS := $(BASEFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS) $(CURL_CFLAGS) $(ZLIB_CFLAGS) \
                 -Icore -I. -Iserver
TEST_CFLAGS   := $(SERVER_CFLAGS) $(CHECK_CFLAGS) -Itests -Wno-missing-prototypes \
                 -DTEST_DATA_DIR='"$(abspath tests/data)"' -DSOURCE_ROOT='"$(abspath .)"' \
                 -DVRAMFIT_BIN_DEFAULT='"$(abspath $(BUILD)/vramfit)"' \
                 -DSEED_CASES_DEFAULT='"$(abspath $(BUILD)/seed-cases.json)"'

CORE_SRC    := $(sort $(wildcard core/*/*.c))
CONFIG_SRC  := $(sort $(wildcard config/*.c))
SERVER_SRC  := $(sort $(wildcard server/*.c server/*/*.c))
SERVER_LIB_SRC := $(filter-out server/main.c server/fetcher/fetch_helper.c,$(SERVER_SRC))
TESTSUP_SRC := $(sort $(wildcard tests/support/*.c))
TEST_SRC    := $(sort $(wildcard tests/unit/check_*.c tests/server/check_*.c))
FAKEHUB_SRC := tests/fakehub/fakehub-serve.c
ALL_HDR     := $(sort $(wildcard core/*/*.h config/*.h server/*/*.h tests/support/*.h))

CORE_OBJ    := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
CONFIG_OBJ  := $(CONFIG_SRC:%.c=$(BUILD)/obj/%.o)
SERVER_OBJ  := $(SERVER_LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ    := $(BUILD)/obj/server/main.o
HELPER_OBJ  := $(BUILD)/obj/server/fetcher/fetch_helper.o
TESTSUP_OBJ := $(TESTSUP_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN    := $(addprefix $(BUILD)/tests/,$(basename $(notdir $(TEST_SRC))))

CORE_LIB   := $(BUILD)/libvramfit-core.a
CONFIG_LIB := $(BUILD)/libvramfit-config.a
SERVER_LIB := $(BUILD)/libvramfit-server.a
BIN        := $(BUILD)/vramfit
HELPER_BIN := $(BUILD)/vramfit-fetch


LIBS := $(MHD_LIBS) $(CURL_LIBS) $(JANSSON_LIBS) $(ZLIB_LIBS) -lpthread -lm
# The server never loads libcurl (and the TLS stack and ~30 libraries behind it): its upstream GETs
# run in $(HELPER_BIN), which is all that links libcurl. Tests link everything.
SERVER_LIBS := $(MHD_LIBS) $(JANSSON_LIBS) $(ZLIB_LIBS) -lpthread -lm
HELPER_LIBS := $(CURL_LIBS) $(JANSSON_LIBS) -lpthread

# Embedded data files: config/embedded.c pulls them in with .incbin, so it must be rebuilt
# whenever one of them changes.
EMBEDDED_DATA := $(wildcard config/*.json) openapi.yaml

PORT ?= 8080
SHELL := /bin/bash

.PHONY: all deps run fakehub test unit-test seed-parity clean format format-check lint help tsan \
        contract contract-deps openapi readme readme-options corpus-record models
.DEFAULT_GOAL := all

all: $(BIN)

help:
	@echo "make deps    install the Debian packages the build and tests need"
	@echo "make         build $(BIN)"
	@echo "make run     deps + build + start the server on port $(PORT)"
	@echo "make test    deps + build + every test suite"
	@echo "make tsan    ThreadSanitizer run of the refresh/hammer and shutdown tests (clang)"
	@echo "make contract         OpenAPI lint + recorded responses vs openapi.yaml, answer manifests vs CRDs, deploy/, Dockerfile, browser"
	@echo "make openapi          regenerate config/openapi.json from openapi.yaml"
	@echo "make models           regenerate config/models.json (the presets) from tools/presets.json"
	@echo "make readme-options   regenerate README.md's configuration table from the option table"
	@echo "make readme           re-run README.md's console examples and rewrite the outputs that changed"
	@echo "make corpus-record    re-record tests/data/answers-corpus.json (the answers check_corpus"
	@echo "                      replays byte for byte) from $(BIN); only for a deliberate change"
	@echo "                      to the answers, each such change listed in the commit"
	@echo "make fakehub          the suites' fake Hugging Face Hub as a process (prints its endpoint)"
	@echo "make clean   remove $(BUILD)/"
	@echo "make fuzz | fuzz-replay | asan | valgrind | bench | bench-callgrind | soak   (see tools/harden.mk)"

# Debian packages the build and the tests need. Installs only what is missing; uses sudo when not root.
DEB_PKGS := build-essential pkg-config libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev \
            check ca-certificates nodejs zlib1g-dev prometheus chromium \
            clang libclang-rt-14-dev llvm valgrind wrk nginx python3 curl jq
deps:
	@./tools/deps.sh $(DEB_PKGS)

$(BUILD)/obj/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CORE_CFLAGS) -c $< -o $@

$(BUILD)/obj/config/%.o: config/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CONFIG_CFLAGS) -c $< -o $@

$(BUILD)/obj/config/embedded.o: $(EMBEDDED_DATA)

$(BUILD)/obj/server/%.o: server/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(SERVER_CFLAGS) -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TEST_CFLAGS) -c $< -o $@

# The layer check (tools/layers.sh) runs before anything is archived: an include pointing the
# wrong way fails the build, whatever compiles.
LAYERS_OK := $(BUILD)/layers.ok
$(LAYERS_OK): tools/layers.sh $(CORE_SRC) $(CONFIG_SRC) $(SERVER_SRC) $(ALL_HDR)
	@mkdir -p $(dir $@)
	@echo "  LAYERS  core config server"
	@./tools/layers.sh
	@touch $@

$(CORE_LIB): $(CORE_OBJ) | $(LAYERS_OK)
	@rm -f $@
	$(AR) rcs $@ $^

$(CONFIG_LIB): $(CONFIG_OBJ) | $(LAYERS_OK)
	@rm -f $@
	$(AR) rcs $@ $^

$(SERVER_LIB): $(SERVER_OBJ) | $(LAYERS_OK)
	@rm -f $@
	$(AR) rcs $@ $^

# The helper is built with the server: the server runs it from its own directory.
$(BIN): $(MAIN_OBJ) $(SERVER_LIB) $(CONFIG_LIB) $(CORE_LIB) | $(HELPER_BIN)
	$(CC) $(SAN) -Wl,--as-needed -o $@ $(MAIN_OBJ) $(SERVER_LIB) $(CONFIG_LIB) $(CORE_LIB) \
	  $(SERVER_LIBS)

$(HELPER_BIN): $(HELPER_OBJ) $(SERVER_LIB) $(CORE_LIB)
	$(CC) $(SAN) -o $@ $^ $(HELPER_LIBS)

# Unit suites (tests/unit/) and suites that start the real binary (tests/server/) build alike.
$(BUILD)/tests/check_%: $(BUILD)/obj/tests/unit/check_%.o $(TESTSUP_OBJ) $(SERVER_LIB) $(CONFIG_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(CHECK_LIBS) $(LIBS)

$(BUILD)/tests/check_%: $(BUILD)/obj/tests/server/check_%.o $(TESTSUP_OBJ) $(SERVER_LIB) $(CONFIG_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(CHECK_LIBS) $(LIBS)

run: deps $(BIN)
	./$(BIN) --port $(PORT)

# The suites' fake Hugging Face Hub as a process (README, "Models from the Hugging Face Hub"): it
# prints the --hf-endpoint and --hf-cdn-hosts to give vramfit, and serves until interrupted.
fakehub: $(BUILD)/fakehub-serve
	./$(BUILD)/fakehub-serve
$(BUILD)/fakehub-serve: $(BUILD)/obj/tests/fakehub/fakehub-serve.o $(TESTSUP_OBJ) $(SERVER_LIB) $(CONFIG_LIB) $(CORE_LIB)
	$(CC) $(SAN) -o $@ $^ $(CHECK_LIBS) $(LIBS)

# The seed's TypeScript (tests/seed/seed.ts, verbatim) run by the TypeScript compiler from npm
# produces expected answers for thousands of drawn inputs; check_seed_parity compares against them.
SEED_CASES := $(BUILD)/seed-cases.json
SEED_TODAY := 2026-11-23
tests/seed/node_modules/.package-lock.json: tests/seed/package.json tests/seed/package-lock.json
	cd tests/seed && npm ci --no-audit --no-fund --loglevel=error

$(SEED_CASES): tests/seed/gen-cases.js tests/seed/seed.ts config/azure-gpu-skus.json \
               tests/seed/node_modules/.package-lock.json
	@mkdir -p $(dir $@)
	node tests/seed/gen-cases.js config/azure-gpu-skus.json $(SEED_TODAY) $@


# Every Check binary (unit suites, seed parity, integration against the real binary; their HTTP
# exchanges recorded), then the contract checks over the records.
CONTRACT_DIR := $(BUILD)/contract
test: deps $(BIN) $(TEST_BIN) $(SEED_CASES) contract-deps $(BUILD)/fakehub-serve
	@python3 tools/gen-models.py --check
	@python3 tools/readme-examples.py --check
	@rm -rf $(CONTRACT_DIR) && mkdir -p $(CONTRACT_DIR)
	@VRAMFIT_BIN=$(abspath $(BIN)) VRAMFIT_CONTRACT_DIR=$(abspath $(CONTRACT_DIR)) \
	  ./tests/run.sh $(TEST_BIN)
	@$(MAKE) --no-print-directory contract

# The npm tooling (pinned by tests/contract/package-lock.json), installed when the lock changes.
CONTRACT_NODE := tests/contract/node_modules/.installed
contract-deps: $(CONTRACT_NODE)
$(CONTRACT_NODE): tests/contract/package.json tests/contract/package-lock.json
	cd tests/contract && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# OpenAPI lint, every recorded response against the spec, the answers' KAITO/LWS manifests
# against their vendored CRD schemas, manifests and Dockerfile, and a cross-origin call from a real
# (headless Chromium) browser.
contract: contract-deps $(BIN)
	@cd tests/contract && npx --no-install redocly lint ../../openapi.yaml --config redocly.yaml \
	  --format=summary 2>&1 | grep -vE '^ *[║╔╚]|^npm warn|^$$' ; exit $${PIPESTATUS[0]}
	@node tests/contract/validate.mjs $(CONTRACT_DIR)
	@node tests/contract/check-manifests.mjs $(CONTRACT_DIR)
	@node tests/contract/selftest.mjs
	@node tests/contract/check-deploy.mjs $(abspath $(BIN))
	@node tests/contract/browser.mjs $(abspath $(BIN))

# README.md's configuration table is generated from config/options.c's table.
# README.md's console examples re-run against the built binary (tools/readme-examples.py): `make
# test` checks them (about 1 s), `make readme` rewrites the outputs that changed.
readme: $(BIN) $(BUILD)/fakehub-serve
	python3 tools/readme-examples.py --write

readme-options: $(BUILD)/tests/check_config
	@VRAMFIT_WRITE_OPTIONS_MD=$(abspath $(BUILD)/options.md) $(BUILD)/tests/check_config >/dev/null || true
	@awk -v f=$(BUILD)/options.md '/<!-- options:begin -->/ {print; while ((getline l < f) > 0) print l; skip=1; next} \
	  /<!-- options:end -->/ {skip=0} !skip' README.md > README.md.new && mv README.md.new README.md

# tests/data/answers-corpus.json: the refined inference, training, /skus and /models answers of
# $(BIN), recorded with everything that could move them pinned (tools/record-corpus.py);
# tests/server/check_corpus.c replays them byte for byte. Re-record only when a change to the answers
# is deliberate, and list each such change in the commit message.
corpus-record: $(BIN)
	python3 tools/record-corpus.py --bin $(abspath $(BIN)) --out tests/data/answers-corpus.json

# config/openapi.json is generated from openapi.yaml (both are embedded in the binary).
openapi: contract-deps
	node tests/contract/yaml2json.mjs

# config/models.json is generated from tools/presets.json and the real configs it names (no
# network); presets whose model_type core/model/arch.c cannot decode yet are skipped with a
# message. `make test` fails while it is stale (e.g. after a family is added to arch.c).
models:
	python3 tools/gen-models.py

unit-test: $(BIN) $(TEST_BIN) $(SEED_CASES)
	@VRAMFIT_BIN=$(abspath $(BIN)) ./tests/run.sh $(TEST_BIN)

# Fuzzing, sanitizers, valgrind, load and benchmark: make fuzz/fuzz-replay/asan/valgrind/bench/soak.
include tools/harden.mk

# ThreadSanitizer (clang) over the refresh tests: snapshots swapped by the refresher while
# several threads hammer /skus and /estimate; and over the shutdown tests (drain and quiesce
# under keep-alive load, in process and in the binary). Server and tests are both instrumented;
# a race makes the server exit 66 and the test fail. Thread leaks are not reported: the test
# fixture's libmicrohttpd connection threads end after the fixture's checks.
TSAN_BUILD := build-tsan
TSAN_TESTS := $(TSAN_BUILD)/tests/check_refresh $(TSAN_BUILD)/tests/check_shutdown
tsan:
	@$(MAKE) --no-print-directory BUILD=$(TSAN_BUILD) CC=clang SAN=-fsanitize=thread OPT="-O1 -g" \
	  $(TSAN_BUILD)/vramfit $(TSAN_TESTS)
	@TSAN_OPTIONS="halt_on_error=1 exitcode=66 report_thread_leaks=0" \
	  VRAMFIT_BIN=$(abspath $(TSAN_BUILD)/vramfit) ./tests/run.sh $(TSAN_TESTS)

format:
	clang-format -i $(CORE_SRC) $(CONFIG_SRC) $(SERVER_SRC) $(ALL_HDR) $(TESTSUP_SRC) $(TEST_SRC) \
	  $(FAKEHUB_SRC)

format-check:
	clang-format --dry-run --Werror $(CORE_SRC) $(CONFIG_SRC) $(SERVER_SRC) $(ALL_HDR) $(TESTSUP_SRC) \
	  $(TEST_SRC) $(FAKEHUB_SRC)

# lint: cppcheck, then the 100-line cap on functions in core/, server/ and config/ (tools/funclen.sh).
lint:
	./tools/funclen.sh
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -Icore -I. -Iserver core config server

clean:
	rm -rf $(BUILD) $(TSAN_BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Keep test objects between runs (make would otherwise delete them as intermediates).
.SECONDARY:
