# mobilenmt build entry points. `make help` lists them.
# Sections are owned by concern; keep each target's recipe short and call scripts for anything long.

CARGO   ?= cargo
PREFIX  ?= /usr/local
PYTHON  ?= python3
VENV    ?= .venv

.PHONY: help
help:
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

# ---- build, header, install, lint, tests (C ABI and packaging) ----

VERSION          := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
SOVERSION        := $(firstword $(subst ., ,$(VERSION)))
CBINDGEN_VERSION := 0.29.4
BUILD            := build
RELEASE          := target/release
LIBDIR            = $(DESTDIR)$(PREFIX)/lib
DEMO_MODEL       ?= $(firstword $(wildcard models/mobilenmt-en-de/model-int8.gguf) tests/data/tiny-swish/model-int8.gguf)
CTEST_PREFIX     := $(CURDIR)/$(BUILD)/ctest-prefix
INSTALL_PREFIX   := $(CURDIR)/$(BUILD)/install-test
# Libraries a Rust staticlib needs on Linux (`cargo rustc --print native-static-libs`).
STATIC_LIBS      := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
# The CLI example is linked fully statically where the C library allows it (glibc's libc.a is
# installed): its resident memory then holds the C library code it calls instead of the pages
# of libc, libm, libgcc_s and the dynamic loader that a dynamic link maps and relocates (2.3 MB
# of peak RSS here; BENCHMARKS.md, "Memory"). The linker warns that getpwuid_r and getaddrinfo
# (Rust std's, never called by the library) would need glibc's shared libraries at run time.
CLI_STATIC := $(shell printf 'int main(void){return 0;}' | $(CC) -static -x c - -o /dev/null 2>/dev/null && echo yes)
CLI_STATIC_FLAGS := -static -Wl,--gc-sections $(filter-out -lgcc_s,$(STATIC_LIBS))
CLI_LIBS   := $(if $(CLI_STATIC),$(CLI_STATIC_FLAGS),$(STATIC_LIBS))

# Tools a check needs but a fresh machine may lack (cbindgen, rustfmt/clippy, valgrind): the check
# is skipped with a warning, unless MNMT_REQUIRE_TOOLS=1 (set by .ci/run) makes that an error.
missing_tool = if [ "$$MNMT_REQUIRE_TOOLS" = 1 ]; then echo "error: $(1)" >&2; exit 1; \
	else echo "warning: SKIPPED: $(1)" >&2; fi

# The pinned header generator: a cbindgen of that version on PATH, else one installed into
# build/tools (never into ~/.cargo/bin).
CBINDGEN_ROOT := $(BUILD)/tools
CBINDGEN      ?= $(shell cbindgen --version 2>/dev/null | grep -qx 'cbindgen $(CBINDGEN_VERSION)' \
	&& echo cbindgen || echo $(CBINDGEN_ROOT)/bin/cbindgen)

# The Python venv of the tests (tools/requirements.txt, never torch), made or updated on first use.
VENV_STAMP := $(VENV)/.requirements-installed

.PHONY: build header check-header cbindgen install uninstall test test-rust ctest test-install \
	pytest venv wheel lint examples demo clean

build: ## Build the release libraries (target/release/libmobilenmt.{a,so}); the .a exports only mnmt_*
	$(CARGO) build --release --lib
	tools/localize-static.sh $(RELEASE)/libmobilenmt.a

cbindgen: ## Install the pinned cbindgen into build/tools unless it is there or on PATH
	@$(CBINDGEN) --version 2>/dev/null | grep -qx 'cbindgen $(CBINDGEN_VERSION)' || { \
		echo "installing cbindgen $(CBINDGEN_VERSION) into $(CBINDGEN_ROOT) (once; a few minutes)"; \
		$(CARGO) install --quiet --locked --root $(CBINDGEN_ROOT) cbindgen --version $(CBINDGEN_VERSION); }

header: cbindgen ## Regenerate include/mobilenmt.h from src/capi/
	$(CBINDGEN) --quiet --config cbindgen.toml --crate mobilenmt --output include/mobilenmt.h

check-header: ## Fail if include/mobilenmt.h differs from what src/capi/ generates
	@mkdir -p $(BUILD)
	@if $(MAKE) --no-print-directory cbindgen; then \
		$(CBINDGEN) --quiet --config cbindgen.toml --crate mobilenmt --output $(BUILD)/mobilenmt.h && \
		{ diff -u include/mobilenmt.h $(BUILD)/mobilenmt.h || \
		  { echo "include/mobilenmt.h is stale: run 'make header' and commit it" >&2; exit 1; }; } && \
		echo "include/mobilenmt.h matches src/capi/ (cbindgen $(CBINDGEN_VERSION))"; \
	else $(call missing_tool,check-header: cbindgen $(CBINDGEN_VERSION) could not be installed (offline?)); fi

install: build ## Install libraries, header and pkg-config files under PREFIX (default /usr/local)
	install -d $(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 644 $(RELEASE)/libmobilenmt.a $(LIBDIR)/
	install -m 755 $(RELEASE)/libmobilenmt.so $(LIBDIR)/libmobilenmt.so.$(VERSION)
	ln -sf libmobilenmt.so.$(VERSION) $(LIBDIR)/libmobilenmt.so.$(SOVERSION)
	ln -sf libmobilenmt.so.$(SOVERSION) $(LIBDIR)/libmobilenmt.so
	install -m 644 include/mobilenmt.h $(DESTDIR)$(PREFIX)/include/
	for pc in mobilenmt mobilenmt-static; do \
		sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@STATIC_LIBS@|$(STATIC_LIBS)|' \
			$$pc.pc.in > $(LIBDIR)/pkgconfig/$$pc.pc || exit 1; done

uninstall: ## Remove what `make install` put under PREFIX
	rm -f $(addprefix $(LIBDIR)/,libmobilenmt.a libmobilenmt.so libmobilenmt.so.$(SOVERSION) \
		libmobilenmt.so.$(VERSION) pkgconfig/mobilenmt.pc pkgconfig/mobilenmt-static.pc) \
		$(DESTDIR)$(PREFIX)/include/mobilenmt.h

test: test-rust test-isa ctest test-install check-static pytest check-header lint ## THE test command: Rust, C (valgrind), install, static symbols, Python, header, fmt, clippy

test-rust: ## All Rust tests
	$(CARGO) test

ctest: ## C tests against the installed header, static and shared, under valgrind; C++ include test
	rm -rf $(CTEST_PREFIX)
	$(MAKE) --no-print-directory install PREFIX=$(CTEST_PREFIX)
	ctest/run.sh $(CTEST_PREFIX) $(BUILD)/ctest $(CTEST_MODELS)

test-install: ## make install/uninstall, SONAME and symlinks; the README's C example and link commands
	rm -rf $(INSTALL_PREFIX)
	$(MAKE) --no-print-directory install PREFIX=$(INSTALL_PREFIX)
	ctest/install_test.sh $(INSTALL_PREFIX) $(BUILD)/install-test-work
	$(MAKE) --no-print-directory uninstall PREFIX=$(INSTALL_PREFIX)
	@left=$$(find $(INSTALL_PREFIX) ! -type d); \
		[ -z "$$left" ] || { echo "make uninstall left behind: $$left" >&2; exit 1; }

$(VENV_STAMP): tools/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -r tools/requirements.txt
	touch $@

venv: $(VENV_STAMP) ## The Python venv of the tests (.venv, tools/requirements.txt), made on first use

pytest: build examples $(VENV_STAMP) ## Python tests: package (types, wheel in a fresh venv, CLI), converter, bench inputs
	$(VENV)/bin/python -m mypy --strict python/mobilenmt python/_mobilenmt_build.py
	MNMT_LIBRARY=$(CURDIR)/$(RELEASE)/libmobilenmt.so MNMT_CLI=$(CURDIR)/$(BUILD)/examples/mnmt-translate \
		$(VENV)/bin/python -m pytest -q tests/python

wheel: build $(VENV_STAMP) ## Python wheel with the library inside, for this machine, in build/wheel/
	$(VENV)/bin/python -m pip wheel -q --no-deps -w $(BUILD)/wheel .

# The second clippy checks the library as shipped, without the tests' `internals` feature: code
# that only the tests use shows up there as dead.
lint: ## rustfmt and clippy (all targets, and the library as shipped), warnings are errors
	@if $(CARGO) fmt --version >/dev/null 2>&1 && $(CARGO) clippy --version >/dev/null 2>&1; then \
		echo "$(CARGO) fmt --check && $(CARGO) clippy --all-targets -- -D warnings && $(CARGO) clippy --lib -- -D warnings"; \
		$(CARGO) fmt --check && $(CARGO) clippy --all-targets -- -D warnings && $(CARGO) clippy --lib -- -D warnings; \
	else $(call missing_tool,lint: rustfmt or clippy missing (rustup component add rustfmt clippy)); fi

# The static library defines only mnmt_* and links beside another Rust static library under
# --whole-archive (tools/localize-static.sh, run by `build`).
.PHONY: check-static
check-static: build ## libmobilenmt.a: only mnmt_* global; links with a second Rust staticlib, whole-archive
	ctest/static_link/run.sh $(RELEASE)/libmobilenmt.a $(BUILD)/static-link "$(STATIC_LIBS)" \
		$(firstword $(wildcard tests/data/tiny-swish/model-int8.gguf))

examples: build ## Build the C and C++ examples into build/examples
	@mkdir -p $(BUILD)/examples
	$(CC) -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Iinclude examples/c/mnmt_translate.c \
		$(RELEASE)/libmobilenmt.a $(CLI_LIBS) -o $(BUILD)/examples/mnmt-translate
	$(CXX) -std=c++11 -O2 -Wall -Wextra -Werror -pedantic -Iinclude examples/cpp/translate.cpp \
		$(RELEASE)/libmobilenmt.a $(STATIC_LIBS) -o $(BUILD)/examples/translate-cpp

demo: examples ## Translate a few everyday English sentences with the shipped model (or a fixture)
	@test -f $(DEMO_MODEL) || { echo "no model at $(DEMO_MODEL)" >&2; exit 1; }
	$(BUILD)/examples/mnmt-translate --info -m $(DEMO_MODEL)
	$(BUILD)/examples/mnmt-translate -b 4 -m $(DEMO_MODEL) < examples/demo.txt

clean: ## Remove build outputs (build/tools, the installed cbindgen, stays)
	$(CARGO) clean
	find $(BUILD) -mindepth 1 -maxdepth 1 ! -name tools -exec rm -rf {} + 2>/dev/null || true

# ---- kernels (benchmarks, aarch64 under qemu) ----

# aarch64 runs on this x86 host under qemu-user with Debian's cross toolchain (see docs/kernels.md).
# QEMU_CPU=max gives the emulated CPU the dotprod extension; MNMT_REQUIRE_ISAS makes a missing
# NEON or dotprod kernel a failure instead of a silently smaller test.
AARCH64_ENV = RUSTC=/usr/bin/rustc CARGO_TARGET_DIR=target/aarch64 \
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" \
	QEMU_CPU=max MNMT_REQUIRE_ISAS=neon,dotprod

.PHONY: aarch64-prereqs test-aarch64 test-isa bench-kernels
aarch64-prereqs: ## install Debian's rustc, aarch64 std, cross gcc and qemu-user if missing (root)
	@if [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/aarch64-unknown-linux-gnu ] \
	    && command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then :; \
	else dpkg --add-architecture arm64 && apt-get update \
	    && apt-get install -y rustc-web cargo-web libstd-rust-web-dev:arm64 \
	       gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user; fi

test-aarch64: aarch64-prereqs ## NEON and dotprod kernels vs scalar, and the x86 golden translations, under qemu-user
	$(AARCH64_ENV) $(CARGO) test --release --target aarch64-unknown-linux-gnu --test aarch64_kernels
	for isa in neon dotprod; do \
		MNMT_FORCE_ISA=$$isa $(AARCH64_ENV) $(CARGO) test --release --target aarch64-unknown-linux-gnu --test isa_golden || exit 1; \
	done

# The same INT8 translations (ids and text) with every x86 kernel, forced one process at a time.
X86_ISAS ?= scalar sse41 avx2 avxvnni
test-isa: ## Golden INT8 translations identical with MNMT_FORCE_ISA=scalar, sse41, avx2, avxvnni
	for isa in $(X86_ISAS); do MNMT_FORCE_ISA=$$isa $(CARGO) test --test isa_golden || exit 1; done

bench-kernels: ## INT8 GEMM GMAC/s per ISA and shape, with bandwidth and peak (single thread)
	$(CARGO) bench --bench kernels


# ---- mobile: Java/JNI binding on the host JVM, 32-bit ARM under qemu-arm (docs/mobile.md) ----

JAVA_BUILD  := $(BUILD)/java
# The Java test's arguments: the tiny fixture, the shipped model and its golden translations.
JAVA_MODELS := tests/data/tiny-swish/model-int8.gguf models/mobilenmt-en-de/model-int8.gguf \
	tests/common/shipped.rs
# armv7 as aarch64 above: Debian's rustc and armhf std, cross gcc, qemu-arm (single-threaded tests).
ARMV7_ENV = RUSTC=/usr/bin/rustc CARGO_TARGET_DIR=target/armv7 \
	CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER=arm-linux-gnueabihf-gcc \
	CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_RUNNER="qemu-arm -L /usr/arm-linux-gnueabihf"
ARMV7_TEST = $(ARMV7_ENV) $(CARGO) test --release --target armv7-unknown-linux-gnueabihf

.PHONY: java-prereqs test-java test-kotlin armv7-prereqs test-armv7
java-prereqs: ## install a JDK if javac is missing (root)
	@command -v javac >/dev/null || { apt-get update && apt-get install -y default-jdk-headless; }

test-java: build java-prereqs ## Java binding (JNI shim + org.mobilenmt.Translator) built and tested on the host JVM
	STATIC_LIBS="$(STATIC_LIBS)" bindings/java/build.sh $(JAVA_BUILD) $(RELEASE)/libmobilenmt.a test $(JAVA_MODELS)

KOTLIN_CP := $(JAVA_BUILD)/classes:/usr/share/java/kotlin-stdlib.jar
test-kotlin: test-java ## The binding from Kotlin (use {}, bean options) on the captions model; needs Debian's kotlin package, not run by CI
	kotlinc bindings/java/src/test/kotlin/org/mobilenmt/KotlinUsage.kt -cp $(KOTLIN_CP) -d $(JAVA_BUILD)/kotlin
	java -Djava.library.path=$(JAVA_BUILD) -cp $(JAVA_BUILD)/kotlin:$(KOTLIN_CP) org.mobilenmt.KotlinUsageKt \
		models/mobilenmt-en-de-captions/model-int8.gguf

armv7-prereqs: ## install Debian's rustc, armhf std, cross gcc and qemu-user if missing (root)
	@if [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/armv7-unknown-linux-gnueabihf ] \
	    && command -v arm-linux-gnueabihf-gcc >/dev/null && command -v qemu-arm >/dev/null; then :; \
	else dpkg --add-architecture armhf && apt-get update \
	    && apt-get install -y rustc-web cargo-web libstd-rust-web-dev:armhf \
	       gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user; fi

test-armv7: armv7-prereqs ## 32-bit ARM under qemu-arm: kernels vs scalar, golden INT8 translations, address space
	$(ARMV7_TEST) --test aarch64_kernels --test address_space
	MNMT_FORCE_ISA=scalar $(ARMV7_TEST) --test isa_golden

# ---- models, fixtures, demo, benchmarks against peers ----

BENCH_VENV  ?= bench/.venv
BENCH_OUT   ?= $(BUILD)/bench
TORCH_LIMIT ?= 200

.PHONY: bench
bench: build ## mobilenmt vs CTranslate2 vs PyTorch on Multi30k (minutes): BENCHMARKS.md, docs/bench.png
	BENCH_VENV=$(BENCH_VENV) BENCH_OUT=$(BENCH_OUT) TORCH_LIMIT=$(TORCH_LIMIT) \
		LIB=$(RELEASE)/libmobilenmt.a STATIC_LIBS="$(STATIC_LIBS)" bench/run.sh

# ---- memory: peak RSS of the C CLI (minutes; not in CI) ----

MEM_MODEL ?= models/mobilenmt-en-de/model-int8.gguf
MEM_SRC   ?= eval/data/multi30k-test2016.en eval/data/tatoeba-dev.en
MEM_BEAM  ?= 4

.PHONY: mem-peak
mem-peak: examples ## Peak RSS of the C CLI translating MEM_SRC (beam MEM_BEAM), --lines and document mode, per mapping
	@mkdir -p $(BUILD)/mem
	cat $(MEM_SRC) > $(BUILD)/mem/input.txt
	@for mode in --lines ""; do \
		echo "== mnmt-translate -b $(MEM_BEAM) $${mode:-(document mode)}, $$(wc -l < $(BUILD)/mem/input.txt) lines"; \
		$(PYTHON) tools/smaps_peak.py $(BUILD)/examples/mnmt-translate -b $(MEM_BEAM) $$mode \
			-m $(MEM_MODEL) $(BUILD)/mem/input.txt || exit 1; \
	done

# ---- speed: the OPUS-MT-sized model, worker pool overhead ----

OPUS_OUT   ?= $(BENCH_OUT)/opus-sized
OPUS_LIMIT ?= 50

.PHONY: bench-opus bench-pool bench-threads
bench-opus: build ## OPUS-MT-sized random model, 20 forced steps: mobilenmt vs CTranslate2 (1, 2 threads) and the floor
	BENCH_VENV=$(BENCH_VENV) OPUS_OUT=$(OPUS_OUT) OPUS_LIMIT=$(OPUS_LIMIT) \
		LIB=$(RELEASE)/libmobilenmt.a STATIC_LIBS="$(STATIC_LIBS)" bench/opus_sized.sh

bench-threads: build ## Latency with 1 and 2 threads vs CTranslate2 intra_threads 1 and 2, interleaved rounds (after bench-opus)
	BENCH_VENV=$(BENCH_VENV) OPUS_DIR=$(OPUS_OUT) \
		LIB=$(RELEASE)/libmobilenmt.a STATIC_LIBS="$(STATIC_LIBS)" bench/threads.sh

bench-pool: ## Worker pool dispatch overhead, ns per call for 1, 2, 4 threads
	$(CARGO) bench --bench pool

# ---- vocabulary shortlist: build one into a model file, gate its quality, measure it ----

# The default model's training data (tools/prepare_data.py --out .devdata/general); the captions
# model's shortlist came from Multi30k: SL_MODEL=models/mobilenmt-en-de-captions
# SL_SRC=$(MULTI30K)/train.en.gz SL_TGT=$(MULTI30K)/train.de.gz SL_FLAGS="--name mobilenmt-en-de ..."
# SL_SETS="...multi30k-test2016..." SL_SIZE="--shortlist-k 50 --shortlist-frequent 100".
# tools/ship_model.sh does all of it for the default model, with the same list size as SL_SIZE.
TRAIN_DATA ?= .devdata/general
SL_MODEL ?= models/mobilenmt-en-de
SL_SRC   ?= $(TRAIN_DATA)/train.en.gz
SL_TGT   ?= $(TRAIN_DATA)/train.de.gz
SL_OUT   ?= $(BUILD)/shortlist/model-int8.gguf
SL_FLAGS ?= --name mobilenmt-en-de --source-lang en --target-lang de
# The default model's list size (smaller lists failed its gate; see tools/ship_model.sh).
SL_SIZE  ?= --shortlist-k 200 --shortlist-frequent 1000
SL_SETS  ?= $(foreach s,tatoeba-dev flores-dev,eval/data/$(s).en eval/data/$(s).de)

.PHONY: shortlist shortlist-gate
shortlist: ## Convert SL_MODEL (Hugging Face dir) with a shortlist from SL_SRC/SL_TGT into SL_OUT (needs tools/requirements-train.txt)
	@mkdir -p $(dir $(SL_OUT))
	.venv/bin/python tools/convert.py $(SL_MODEL) $(SL_OUT) $(SL_FLAGS) --shortlist $(SL_SRC) $(SL_TGT) $(SL_SIZE)

shortlist-gate: examples ## BLEU with/without SL_OUT's shortlist on SL_SETS (fails above 0.2 lost), then its speed and candidate sizes
	.venv/bin/python tools/shortlist_gate.py --cli $(BUILD)/examples/mnmt-translate $(SL_OUT) $(SL_SETS)
	$(CARGO) bench --bench shortlist -- $(SL_OUT) $(firstword $(SL_SETS)) 300

# ---- tokenizer (golden files, throughput) ----

MULTI30K ?= ../shared/data/multi30k

.PHONY: tokenizer-golden bench-tokenizer
tokenizer-golden: ## Regenerate tests/data/tokenizer/ from MarianTokenizer (needs the venv and Multi30k)
	$(VENV)/bin/python tools/make_tokenizer_golden.py --data $(MULTI30K)

bench-tokenizer: ## Encode MB/s: Python sentencepiece vs the Rust tokenizer on the same lines
	$(VENV)/bin/python tools/bench_tokenizer.py --data $(MULTI30K) --write-lines target/bench-tokenizer-lines.txt
	$(CARGO) bench --bench tokenizer -- target/bench-tokenizer-lines.txt

# ---- text (sentence splitting) ----

.PHONY: eval-splitter
eval-splitter: build ## Sentence-boundary precision/recall on FLORES dev and newstest2014 paragraphs (en, de)
	MNMT_LIBRARY=$(CURDIR)/$(RELEASE)/libmobilenmt.so $(VENV)/bin/python tools/eval_splitter.py --held-out --min 0.99

# ---- robustness (fuzzing, sanitizers, soak) ----

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= gguf spm tokenizer translate text tables html
# Slow and memory-hungry inputs are findings too: one input may take FUZZ_TIMEOUT seconds and the
# process FUZZ_RSS_MB of memory (ASan's shadow included).
FUZZ_TIMEOUT ?= 3
FUZZ_RSS_MB  ?= 1024
FUZZ_LOGS    := $(BUILD)/fuzz

.PHONY: fuzz
fuzz: ## Fuzz each target for FUZZ_SECONDS (default 60) in turn: nightly + cargo-fuzz; logs in build/fuzz
	@command -v cargo-fuzz >/dev/null || $(CARGO) install --locked cargo-fuzz
	$(PYTHON) fuzz/make_seeds.py
	@mkdir -p $(FUZZ_LOGS)
	@for t in $(FUZZ_TARGETS); do \
		echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
		$(CARGO) +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) \
			-rss_limit_mb=$(FUZZ_RSS_MB) -max_len=$$(case $$t in gguf|spm) echo 1200000;; tables) echo 65536;; html) echo 2048;; *) echo 8192;; esac) \
			> $(FUZZ_LOGS)/$$t.log 2>&1 || { tail -40 $(FUZZ_LOGS)/$$t.log; exit 1; }; \
		grep -E '^(Done|#[0-9]+.*DONE)' $(FUZZ_LOGS)/$$t.log | tail -1; \
	done

# ThreadSanitizer needs the standard library rebuilt with it: nightly + rust-src.
TSAN_TARGET ?= $(shell rustc -vV | sed -n 's/^host: //p')
TSAN_CALLS  ?= 150

.PHONY: sanitize sanitize-rust tsan soak test-robust robust-core
sanitize: build ## C tests (ctest/*.c) under ASan (with leak checks) + UBSan, static library
	ctest/sanitize.sh $(RELEASE)/libmobilenmt.a $(BUILD)/asan $(CTEST_MODELS)

sanitize-rust: ## As sanitize, with the library itself built under ASan (nightly, -Zbuild-std; minutes)
	@rustup component list --toolchain nightly --installed | grep -q rust-src || \
		rustup component add rust-src --toolchain nightly
	RUSTFLAGS="-Zsanitizer=address" CARGO_TARGET_DIR=target/asan \
		$(CARGO) +nightly build -Zbuild-std --target $(TSAN_TARGET) --release --lib
	ctest/sanitize.sh target/asan/$(TSAN_TARGET)/release/libmobilenmt.a $(BUILD)/asan-rust $(CTEST_MODELS)

tsan: ## 16-thread concurrency test and the worker pool tests under ThreadSanitizer (nightly, -Zbuild-std)
	@rustup component list --toolchain nightly --installed | grep -q rust-src || \
		rustup component add rust-src --toolchain nightly
	RUSTFLAGS="-Zsanitizer=thread" RUSTDOCFLAGS="-Zsanitizer=thread" TSAN_OPTIONS=halt_on_error=1 \
		MNMT_STRESS_CALLS=$(TSAN_CALLS) CARGO_TARGET_DIR=target/tsan \
		$(CARGO) +nightly test -Zbuild-std --target $(TSAN_TARGET) --release --test concurrency_stress --test pool

soak: ## 100,000 translations in one process; RSS after 1,000 and at the end (within 1 MiB)
	$(CARGO) test --release --test soak -- --ignored --nocapture

test-robust: robust-core tsan ## CI's robustness checks: mutation + 16-thread test (release), sanitizers

robust-core: sanitize ## test-robust without ThreadSanitizer (for toolchains without nightly rust-src)
	$(CARGO) test --release --test mutation --test concurrency_stress

# ---- evaluation (quality of a model file through the C library) ----

EVAL_MODEL ?= $(DEMO_MODEL)

.PHONY: eval
eval: examples ## BLEU/chrF of EVAL_MODEL (default: the shipped model), greedy and beam 4, on eval/data
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -c 'import sacrebleu' 2>/dev/null || $(VENV)/bin/pip install -q -r tools/requirements-eval.txt
	$(VENV)/bin/python eval/evaluate.py --model $(EVAL_MODEL) --cli $(BUILD)/examples/mnmt-translate

.PHONY: eval-spans
eval-spans: build $(VENV_STAMP) ## Protected spans on eval/ui-strings.en (on/off, greedy/beam 4); rewrites eval/ui-strings*.de
	MNMT_LIBRARY=$(CURDIR)/$(RELEASE)/libmobilenmt.so $(VENV)/bin/python tools/eval_spans.py --model $(EVAL_MODEL)

.PHONY: eval-markup
eval-markup: build ## HTML input on 500 tagged FLORES dev sentences: well-formed %, spans kept, BLEU vs plain, 50 samples (build/eval-markup)
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -c 'import sacrebleu' 2>/dev/null || $(VENV)/bin/pip install -q -r tools/requirements-eval.txt
	MNMT_LIBRARY=$(CURDIR)/$(RELEASE)/libmobilenmt.so $(VENV)/bin/python tools/eval_markup.py --model $(EVAL_MODEL) --out $(BUILD)/eval-markup
