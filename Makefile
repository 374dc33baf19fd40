# vitrine — plain Makefile with pkg-config.
#
#   make            build build/vitrine and build/libvitrine.a
#   make test       build and run the whole suite (tests/run.sh); last line "N passed, N failed"
#   make demo       install what the demo needs, build, run `vitrine demo`
#   make asan       the suite under AddressSanitizer (build/asan)
#   make ubsan      the suite under UndefinedBehaviorSanitizer (build/ubsan)
#   make fuzz       build the libFuzzer harnesses (clang) and run each for FUZZ_SECONDS
#   make bench      the embedding benchmark beside its PyTorch peer
#   make bench-gemm GEMM GFLOP/s per shape beside OpenBLAS
#
# Files named *_avx512.c / *_avx2.c are compiled with those instruction sets; nothing else is, so
# the binary runs on any x86-64 and picks its kernels at run time (src/tensor/cpu.c).

BUILD   ?= build
CC      ?= cc
PKGS    := libutf8proc libjpeg libpng libwebp jansson zlib lmdb libmicrohttpd libcurl tesseract lept cairo fontconfig
OPT     ?= -O2
WERROR  ?= -Werror
CFLAGS  ?=
CFLAGS  += -std=c11 -D_GNU_SOURCE -g $(OPT) -Wall -Wextra $(WERROR) -fno-strict-aliasing \
           -Iinclude -Isrc $(shell pkg-config --cflags $(PKGS))
SAN     ?=
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -lpthread -lm

AVX512_FLAGS := -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx2 -mfma -mf16c
AVX2_FLAGS   := -mavx2 -mfma -mf16c

LIB_SRC  := $(sort $(wildcard src/base/*.c src/tensor/*.c src/text/*.c src/image/*.c src/models/*.c \
                             src/index/*.c src/db/*.c src/query/*.c src/pipeline/*.c src/eval/*.c src/server/*.c))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c tests/golden/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
REPLAY_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/replay/%,$(FUZZ_SRC))

.PHONY: all test demo asan ubsan fuzz bench bench-gemm clean deps
all: $(BUILD)/vitrine $(BUILD)/libvitrine.a

# GET / names the commit the server was built from (zeros outside a git checkout).
GIT_COMMIT := $(shell git rev-parse HEAD 2>/dev/null)
$(BUILD)/obj/src/server/handlers_service.o: CFLAGS += $(if $(GIT_COMMIT),-DVT_GIT_COMMIT='"$(GIT_COMMIT)"')

$(BUILD)/obj/%_avx512.o: %_avx512.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) $(AVX512_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%_avx2.o: %_avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) $(AVX2_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -MMD -MP -c $< -o $@

$(BUILD)/libvitrine.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/vitrine: $(CLI_OBJ) $(BUILD)/libvitrine.a
	$(CC) $(SAN) -o $@ $(CLI_OBJ) $(BUILD)/libvitrine.a $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libvitrine.a tests/test.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -Itests -o $@ $< $(BUILD)/libvitrine.a $(LDLIBS)

# The fuzz harnesses replayed over their saved corpus by a plain driver (part of `make test`).
$(BUILD)/tests/replay/%: tests/fuzz/%.c tests/fuzz/replay.c $(BUILD)/libvitrine.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $< tests/fuzz/replay.c $(BUILD)/libvitrine.a $(LDLIBS)

# The server's end-to-end suite (node + the official Qdrant JS client), run as one test binary.
$(BUILD)/tests/server/e2e: tests/server/run.sh
	@mkdir -p $(dir $@)
	cp $< $@ && chmod +x $@

# The web console's suite (headless Chromium + playwright-core), likewise.
$(BUILD)/tests/server/console: tests/server/console.sh
	@mkdir -p $(dir $@)
	cp $< $@ && chmod +x $@

test: $(BUILD)/vitrine $(TEST_BIN) $(REPLAY_BIN) $(BUILD)/tests/server/e2e $(BUILD)/tests/server/console
	@BUILD=$(BUILD) sh tests/run.sh

asan:
	$(MAKE) BUILD=build/asan OPT=-O1 SAN="-fsanitize=address -fno-omit-frame-pointer" test

ubsan:
	$(MAKE) BUILD=build/ubsan OPT=-O1 SAN="-fsanitize=undefined -fno-sanitize-recover=undefined" test

# libFuzzer needs clang; the library is rebuilt with clang and the fuzzer's instrumentation.
FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang OPT=-O1 SAN="-fsanitize=fuzzer-no-link,address" build/fuzz/libvitrine.a
	@mkdir -p build/fuzz/bin
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang $(CFLAGS) -O1 -fsanitize=fuzzer,address -o build/fuzz/bin/$$n $$f build/fuzz/libvitrine.a $(LDLIBS) || exit 1; done
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); mkdir -p tests/fuzz/corpus/$$n build/fuzz/new/$$n; \
	  echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  build/fuzz/bin/$$n -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -timeout=10 \
	    build/fuzz/new/$$n tests/fuzz/corpus/$$n || exit 1; done

bench: $(BUILD)/vitrine
	sh bench/embed.sh
	sh bench/st.sh

# GEMM GFLOP/s per transformer shape beside OpenBLAS (libopenblas-dev) in the same run.
$(BUILD)/gemm_bench: bench/gemm_bench.c $(BUILD)/libvitrine.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libvitrine.a $(shell pkg-config --cflags --libs openblas) $(LDLIBS)

bench-gemm: $(BUILD)/gemm_bench
	$(BUILD)/gemm_bench

demo:
	sh scripts/demo.sh

deps:
	sh scripts/install-deps.sh

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
