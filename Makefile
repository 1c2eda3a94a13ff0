# SPDX-License-Identifier: Apache-2.0
# podnet — plain GNU make.  V=1 for verbose, SANITIZE=1 for ASan+UBSan.

PREFIX ?= /usr/local
CNI_BIN_DIR ?= /opt/cni/bin
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
CSTD := -std=gnu17
WARN := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -D_GNU_SOURCE -Isrc/lib
CFLAGS ?= -O2 -g
CFLAGS += $(CSTD) $(WARN) -fno-strict-aliasing

ifeq ($(SANITIZE),1)
BUILD ?= build/asan
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
STATIC :=
else
BUILD ?= build
STATIC := -static
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

JANSSON_LIBS := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)

LIB_SRCS := $(wildcard src/lib/*.c)
LIB_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIB := $(BUILD)/lib/libpodnet.a

CNI_BINS := $(BUILD)/bin/podnet-bridge $(BUILD)/bin/podnet-ipam
PODNET_SRCS := $(wildcard src/podnet/*.c)
PODNET_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(PODNET_SRCS))
SHIM_SRCS := $(wildcard src/shim/*.c)
SHIM_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SHIM_SRCS))
# Only the CNI plugins are static; podnet and its shim link the shared
# libraries they need.
RUNTIME_LIBS := -lyaml -lsqlite3 -larchive $(JANSSON_LIBS) -lpthread
RUNTIME_BINS := $(if $(PODNET_SRCS),$(BUILD)/bin/podnet) $(if $(SHIM_SRCS),$(BUILD)/bin/podnet-shim) \
	$(if $(wildcard src/pause/*.c),$(BUILD)/bin/podnet-pause)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
# Test-only drivers (tests/tools/*.c): pn-cnitool for tests/netns/cniclient.sh.
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

.PHONY: all check unit demo bench fuzz fuzz-run install clean deps
all: $(CNI_BINS) $(RUNTIME_BINS)

$(BUILD)/obj/%.o: src/%.c $(wildcard src/lib/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# CNI plugins are copied onto nodes, as every CNI plugin is: link statically.
$(BUILD)/bin/podnet-bridge: $(BUILD)/obj/cni/bridge_main.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(STATIC) -o $@ $^ $(JANSSON_LIBS) -lpthread

$(BUILD)/bin/podnet-ipam: $(BUILD)/obj/cni/ipam_main.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(STATIC) -o $@ $^ $(JANSSON_LIBS) -lpthread

$(BUILD)/bin/podnet: $(PODNET_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(RUNTIME_LIBS)

$(BUILD)/bin/podnet-shim: $(SHIM_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(RUNTIME_LIBS)

# The pause process is the pod's PID 1 inside its sandbox: static, tiny.
$(BUILD)/bin/podnet-pause: $(wildcard src/pause/*.c)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(STATIC) -o $@ $^

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(RUNTIME_LIBS)

$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(JANSSON_LIBS) -lpthread

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(JANSSON_LIBS) -lpthread

unit: $(UNIT_BINS) $(TOOL_BINS)

# The whole suite: unit tests plain and under ASan+UBSan, then the
# integration tests in throwaway nodes.  Last line: "N passed, N failed".
check:
	$(Q)scripts/install-deps.sh
	$(Q)$(MAKE) --no-print-directory all unit
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 unit
	$(Q)tests/run.sh

demo:
	$(Q)scripts/install-deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

bench: all $(BENCH_BINS)
	$(Q)bench/run.sh
	$(Q)bench/pods.sh

# libFuzzer targets, one per parser of untrusted input (clang only).
FUZZ_BUILD := build/fuzz
fuzz:
	$(Q)mkdir -p $(FUZZ_BUILD)
	$(Q)for f in $(FUZZ_SRCS); do \
		n=$$(basename $$f .c); \
		echo "  FUZZ    $$n"; \
		clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) $(CSTD) \
			-o $(FUZZ_BUILD)/$$n $$f $(LIB_SRCS) $(RUNTIME_LIBS) || exit 1; \
	done

install: all
	install -d $(DESTDIR)$(CNI_BIN_DIR)
	install -m 0755 $(CNI_BINS) $(DESTDIR)$(CNI_BIN_DIR)/
	$(if $(RUNTIME_BINS),install -d $(DESTDIR)$(PREFIX)/bin && install -m 0755 $(RUNTIME_BINS) $(DESTDIR)$(PREFIX)/bin/)
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 docs/podnet-bridge.8 docs/podnet-ipam.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 docs/podnet.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 contrib/bash-completion/podnet $(DESTDIR)$(PREFIX)/share/bash-completion/completions/podnet

deps:
	scripts/install-deps.sh

clean:
	rm -rf build

# Run every fuzz target for FUZZ_TIME seconds; new inputs go to build/, the
# committed seed corpus stays read-only.
FUZZ_TIME ?= 60
fuzz-run: fuzz
	$(Q)for f in $(FUZZ_SRCS); do \
		n=$$(basename $$f .c); c=$${n#fuzz_}; \
		mkdir -p $(FUZZ_BUILD)/corpus-$$c; \
		$(FUZZ_BUILD)/$$n -max_total_time=$(FUZZ_TIME) $(FUZZ_BUILD)/corpus-$$c tests/fuzz/corpus/$$c || exit 1; \
	done
