# libbpci — build, test and install.
#
#   make              library, programs, examples
#   make check        install build deps (scripts/deps.sh), build, run every test,
#                     then the same suite under AddressSanitizer+UBSan
#   make install      PREFIX=/usr/local DESTDIR= (honours CC, CFLAGS, LDFLAGS)
#   make fuzz         build and run the libFuzzer targets with clang
#   make bench        benchmarks under bench/
#
# Build outputs go to $(BUILD) (default build/); SAN=1 builds with sanitizers.

.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

VERSION_MAJOR := 0
VERSION := 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

CC ?= cc
CFLAGS ?= -O2 -g
LDFLAGS ?=
BUILD ?= build
SAN ?=

# libcurl is loaded when first used (lib/runtime/curl_lazy.c): building
# needs its headers; only the tests and benchmarks that call it link it.
PC_DEPS := yaml-0.1 jansson libcrypto libevent
PC_CFLAGS = $(shell pkg-config --cflags $(PC_DEPS) libcurl)
PC_LIBS = $(shell pkg-config --libs $(PC_DEPS))
CURL_LIBS = $(shell pkg-config --libs libcurl)
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS = $(shell pkg-config --libs check)

WARN := -std=c11 -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
endif
ALL_CPPFLAGS = -Iinclude -Ilib -D_GNU_SOURCE $(PC_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS = $(WARN) $(CFLAGS) $(SANFLAGS)
LIB_CFLAGS = $(ALL_CFLAGS) -fPIC -fvisibility=hidden

LIB_SRC := $(sort $(wildcard lib/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_SHARED_SRC := $(sort $(filter-out cli/bpi-core.c cli/bpci-enterprise.c cli/bpci-node.c,$(wildcard cli/*.c)))
CLI_SHARED_OBJ := $(CLI_SHARED_SRC:%.c=$(BUILD)/obj/%.o)
PROGRAMS := $(BUILD)/bin/bpi-core $(BUILD)/bin/bpci-enterprise $(BUILD)/bin/bpci-node
EXAMPLE_SRC := $(sort $(wildcard examples/*.c))
EXAMPLES := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
TEST_MODULES := $(sort $(notdir $(filter-out tests/support,$(patsubst %/,%,$(dir $(wildcard tests/*/*.c))))))
TEST_BINS := $(TEST_MODULES:%=$(BUILD)/tests/test_%)
TEST_SUPPORT_SRC := $(sort $(wildcard tests/support/*.c))
FUZZ_TARGETS := $(sort $(basename $(notdir $(filter-out fuzz/standalone.c,$(wildcard fuzz/*.c)))))
FUZZ_REPLAY := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%-replay)

STATIC_LIB := $(BUILD)/lib/libbpci.a
SONAME := libbpci.so.$(VERSION_MAJOR)
SHARED_LIB := $(BUILD)/lib/libbpci.so.$(VERSION)

# Programs link the shared library (so they can only use exported API),
# except in sanitizer builds, which link statically for simpler runtime setup.
ifeq ($(SAN),1)
PROG_LINK = $(STATIC_LIB) $(PC_LIBS)
PROG_DEP = $(STATIC_LIB)
else
PROG_LINK = -L$(BUILD)/lib -lbpci -Wl,-rpath,'$$ORIGIN/../lib'
PROG_DEP = $(BUILD)/lib/libbpci.so
endif

.PHONY: all run lib programs examples tests check check-build check-run check-asan \
	deps install uninstall clean fuzz bench bench-deps man-links

all: lib programs examples

lib: $(STATIC_LIB) $(BUILD)/lib/libbpci.so $(BUILD)/bpci.pc

programs: $(PROGRAMS)

examples: $(EXAMPLES)

tests: $(TEST_BINS) $(FUZZ_REPLAY)

$(BUILD)/obj/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(LIB_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(CHECK_CFLAGS_IF) -MMD -MP -c -o $@ $<

$(BUILD)/obj/tests/%.o: CHECK_CFLAGS_IF = $(CHECK_CFLAGS) -Itests/support

$(STATIC_LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(SHARED_LIB): $(LIB_OBJ) lib/libbpci.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/libbpci.map \
		-Wl,--no-undefined $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(LIB_OBJ) $(PC_LIBS)

$(BUILD)/lib/libbpci.so: $(SHARED_LIB)
	ln -sf libbpci.so.$(VERSION) $(BUILD)/lib/$(SONAME)
	ln -sf $(SONAME) $@

$(BUILD)/bpci.pc: pkgconfig/bpci.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' -e 's|@REQUIRES@|$(PC_DEPS)|' \
		-e 's|@LIBS_PRIVATE@||' $< > $@

$(BUILD)/bin/%: $(BUILD)/obj/cli/%.o $(CLI_SHARED_OBJ) $(PROG_DEP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(CLI_SHARED_OBJ) $(PROG_LINK)

$(BUILD)/examples/%: $(BUILD)/obj/examples/%.o $(PROG_DEP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(PROG_LINK)

# Unit tests link the static library so they can reach internal bpci__ names.
.SECONDEXPANSION:
test_objs = $(patsubst tests/%.c,$(BUILD)/obj/tests/%.o,$(wildcard tests/$(1)/*.c))
$(BUILD)/tests/test_%: $$(call test_objs,$$*) \
		$(TEST_SUPPORT_SRC:%.c=$(BUILD)/obj/%.o) $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(STATIC_LIB) $(PC_LIBS) $(CURL_LIBS) \
		$(CHECK_LIBS)

# The fuzz targets' corpus replays through a plain driver (no clang needed).
$(BUILD)/fuzz/%-replay: $(BUILD)/obj/fuzz/%.o $(BUILD)/obj/fuzz/standalone.o $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(STATIC_LIB) $(PC_LIBS)

deps:
	./scripts/deps.sh

# The README's run command: a node coordinator on examples/local-demo.yaml
# (the example's nodes with ports assigned on 127.0.0.1, see that file) in a
# temporary state directory, one node of each type, until Ctrl-C.
run:
	./scripts/deps.sh
	$(MAKE) all
	@state=$$(mktemp -d "$${TMPDIR:-/tmp}/bpci-run.XXXXXX") || exit 1; \
	trap 'true' INT TERM; \
	echo "state directory $$state; in another terminal:"; \
	echo "  $(BUILD)/bin/bpi-core node-coordinator status --state-dir $$state"; \
	$(BUILD)/bin/bpi-core node-coordinator start --config examples/local-demo.yaml \
		--state-dir "$$state" --listen 127.0.0.1:0; \
	status=$$?; rm -rf "$$state"; exit $$status

# `make check` is the README's test command: it installs what it needs, then
# runs everything twice (plain, then ASan+UBSan).
check:
	./scripts/deps.sh
	$(MAKE) check-run
	$(MAKE) BUILD=build-asan SAN=1 check-asan

check-build: all tests

check-run: check-build
	./scripts/run-tests.sh $(BUILD) full

check-asan: tests programs examples
	./scripts/run-tests.sh $(BUILD) sanitizers

man-links:
	./scripts/man-links.sh

fuzz:
	./scripts/fuzz.sh $(FUZZ_TARGETS)

# Benchmarks: bench/<name>.c -> $(BUILD)/bench/<name>, each run in turn and
# printing its own table. They link the static library (internals allowed).
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BINS := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

BENCH_SUPPORT_OBJ := $(BUILD)/obj/bench/support/bench_util.o

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BENCH_SUPPORT_OBJ) $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BENCH_SUPPORT_OBJ) $(STATIC_LIB) $(PC_LIBS) \
		$(CURL_LIBS) -lpthread -lm

bench: all $(BENCH_BINS)
	./scripts/bench.sh $(BUILD) $(BENCH_BINS)

bench-deps:
	./scripts/deps.sh --bench

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/bpci $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 0644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libbpci.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libbpci.so
	install -m 0644 include/bpci.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 include/bpci/*.h $(DESTDIR)$(INCLUDEDIR)/bpci/
	install -m 0644 $(BUILD)/bpci.pc $(DESTDIR)$(PKGCONFIGDIR)/
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 0644 man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/man3/*.3 $(DESTDIR)$(MANDIR)/man3/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libbpci.* $(DESTDIR)$(PKGCONFIGDIR)/bpci.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/bpci $(DESTDIR)$(INCLUDEDIR)/bpci.h
	rm -f $(PROGRAMS:$(BUILD)/bin/%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(patsubst man/%,$(DESTDIR)$(MANDIR)/%,$(wildcard man/man1/*.1 man/man3/*.3))

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
