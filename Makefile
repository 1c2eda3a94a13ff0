# SPDX-License-Identifier: Apache-2.0
# podnet — plain GNU make.  V=1 for verbose, SANITIZE=1 for ASan+UBSan.

PREFIX ?= /usr/local
CNI_BIN_DIR ?= /opt/cni/bin
SYSTEMD_UNIT_DIR ?= /lib/systemd/system
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
CSTD := -std=gnu17
WARN := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -D_GNU_SOURCE
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
# make valgrind links the plugins dynamically (memcheck replaces malloc
# through the dynamic linker only); the pause stays static everywhere.
CNI_STATIC ?= $(STATIC)

ifeq ($(V),1)
Q :=
else
Q := @
endif

JANSSON_LIBS := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)
# -MMD -MP: each object records the headers it read, so a header change
# rebuilds exactly what includes it.
DEPFLAGS := -MMD -MP

# --- Layers --------------------------------------------------------------
# One folder and one static archive per layer.  A layer compiles with the
# include paths of itself and the layers below it only, so an include that
# points up the stack fails to compile (tests/build/layering.sh proves it).
#
#   base <- kernel <- cni <- cni/ipam <- cni/bridge      (the CNI plugins)
#                      cni <- runtime <- policy <- inspect <- cli, api
#                                 runtime <- shim
INC_base       := -Isrc/base
INC_kernel     := $(INC_base) -Isrc/kernel
INC_cni        := $(INC_kernel) -Isrc/cni
INC_cni_ipam   := $(INC_cni) -Isrc/cni/ipam
INC_cni_bridge := $(INC_cni_ipam) -Isrc/cni/bridge
INC_runtime    := $(INC_cni) -Isrc/runtime
INC_policy     := $(INC_runtime) -Isrc/policy
INC_inspect    := $(INC_policy) -Isrc/cni/ipam -Isrc/cni/bridge -Isrc/inspect
INC_api        := $(INC_inspect) -Isrc/api
INC_cli        := $(INC_inspect) -Isrc/cli
INC_shim       := $(INC_runtime) -Isrc/shim
INC_pause      :=
INC_all        := $(INC_api) -Isrc/cli -Isrc/shim

LAYERS := base kernel cni cni_ipam cni_bridge runtime policy inspect api cli shim pause
layer_dir = $(subst _,/,$(1))

# Archives hold every .c of a layer's folder except a program's main.c
# (the CLI's commands are an archive too, so unit tests can link them).
layer_srcs = $(filter-out %/main.c,$(wildcard src/$(call layer_dir,$(1))/*.c))
layer_lib  = $(BUILD)/lib/libpodnet-$(1).a
LIB_LAYERS := base kernel cni cni_ipam cni_bridge runtime policy inspect api cli
$(foreach l,$(LIB_LAYERS),\
  $(eval LIB_$(l) := $(if $(call layer_srcs,$(l)),$(call layer_lib,$(l)))))

LIBS_cni_ipam   := $(LIB_cni_ipam) $(LIB_cni) $(LIB_kernel) $(LIB_base)
LIBS_cni_bridge := $(LIB_cni_bridge) $(LIBS_cni_ipam)
LIBS_runtime    := $(LIB_runtime) $(LIB_cni) $(LIB_kernel) $(LIB_base)
LIBS_inspect    := $(LIB_inspect) $(LIB_policy) $(LIB_runtime) $(LIBS_cni_bridge)
LIBS_api        := $(LIB_api) $(LIBS_inspect)
LIBS_cli        := $(LIB_cli) $(LIBS_inspect)
LIBS_all        := $(LIB_cli) $(LIBS_api)
LIB_SRCS_all    := $(foreach l,$(LIB_LAYERS),$(call layer_srcs,$(l)))

# Pattern-specific include paths: the longest matching pattern wins, so
# obj/cni/bridge/ gets the bridge's paths, not cni's.
$(foreach l,$(LAYERS),$(eval $(BUILD)/obj/$(call layer_dir,$(l))/%.o: LAYER_INC := $(INC_$(l))))

ALL_LAYER_SRCS := $(foreach l,$(LAYERS),$(wildcard src/$(call layer_dir,$(l))/*.c))
ALL_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(ALL_LAYER_SRCS))
$(foreach l,$(LIB_LAYERS),\
  $(if $(LIB_$(l)),$(eval $(LIB_$(l)): $(patsubst src/%.c,$(BUILD)/obj/%.o,$(call layer_srcs,$(l))))))

CNI_BINS := $(BUILD)/bin/podnet-bridge $(BUILD)/bin/podnet-ipam
SHIM_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(wildcard src/shim/*.c))
# Only the CNI plugins are static; podnet and its shim link the shared
# libraries they need.
RUNTIME_LIBS := -lyaml -lsqlite3 -larchive $(JANSSON_LIBS) -lpthread
# libnftables: podnet's own tables (NetworkPolicy), one transaction per
# change.  podnet links it; the shim and the static CNI plugins do not.
NFT_LIBS := $(shell $(PKG_CONFIG) --libs libnftables 2>/dev/null || echo -lnftables)
RUNTIME_BINS := $(BUILD)/bin/podnet $(BUILD)/bin/podnet-shim $(BUILD)/bin/podnet-pause
# podnetd serves the Kubernetes API: HTTP/1.1 and TLS from libmicrohttpd
# (GnuTLS inside), certificates from GnuTLS, WebSocket frames from wslay,
# gzip (large lists, as kube-apiserver sends them) and the zlib streams of
# SPDY/3.1 header blocks (port-forward) from zlib.
# Only podnetd (and the tests) link them; the CLI stays without a network
# stack of its own.
API_LIBS := -lmicrohttpd -lgnutls -lwslay -lz
API_BINS := $(BUILD)/bin/podnetd
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
# Test-only drivers (tests/tools/*.c): pn-cnitool for tests/netns/cniclient.sh.
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

.PHONY: all check unit demo bench faults fuzz fuzz-run valgrind install clean deps layer-flags libs
all: $(CNI_BINS) $(RUNTIME_BINS) $(API_BINS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(LAYER_INC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/lib/%.a:
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# CNI plugins are copied onto nodes, as every CNI plugin is: link statically.
$(BUILD)/bin/podnet-bridge: $(BUILD)/obj/cni/bridge/main.o $(LIBS_cni_bridge)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(CNI_STATIC) -o $@ $^ $(JANSSON_LIBS) -lpthread

$(BUILD)/bin/podnet-ipam: $(BUILD)/obj/cni/ipam/main.o $(LIBS_cni_ipam)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(CNI_STATIC) -o $@ $^ $(JANSSON_LIBS) -lpthread

$(BUILD)/bin/podnet: $(BUILD)/obj/cli/main.o $(LIBS_cli)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(RUNTIME_LIBS) $(NFT_LIBS)

$(BUILD)/bin/podnetd: $(BUILD)/obj/api/main.o $(LIBS_api)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(API_LIBS) $(RUNTIME_LIBS) $(NFT_LIBS)

# The shim's httpGet probes go through libcurl's multi interface, but the
# shim does not link it: prober.c dlopens libcurl at a pod's first httpGet
# probe (<curl/curl.h> only for the types), so a shim of a pod without one
# maps none of libcurl's dependency tree (faults/load holds its RSS/PSS).
# dlopen is in glibc's libc since 2.34 (Debian 12: 2.36): no -ldl.
# Nor does it link SQLite or libarchive: ids come from base's
# pn_random_id(), and podnet mounts a new image's root file system before
# it tells the shim (src/runtime/rootfs.h); of the runtime's archive the
# shim takes oci.o and rootfs.o only.  tests/build/layering.sh holds that.
SHIM_LIBS := $(JANSSON_LIBS)
$(BUILD)/bin/podnet-shim: $(SHIM_OBJS) $(LIBS_runtime)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(SHIM_LIBS)

# The pause process is the pod's PID 1 inside its sandbox: static, tiny.
$(BUILD)/bin/podnet-pause: $(BUILD)/obj/pause/pause.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(STATIC) -o $@ $^

# Tests, tools and benchmarks see every layer (they test them all).
# The shim is a program, not an archive: a test of one of its files links
# that object (TEST_OBJS) and stands in for what else it needs.
$(BUILD)/tests/test_crilog: TEST_OBJS := $(BUILD)/obj/shim/crilog.o
$(BUILD)/tests/test_crilog: $(BUILD)/obj/shim/crilog.o
$(BUILD)/tests/%: tests/unit/%.c $(LIBS_all)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(INC_all) -Itests/unit $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< $(TEST_OBJS) $(LIBS_all) $(API_LIBS) $(RUNTIME_LIBS) $(NFT_LIBS)

$(BUILD)/tests/tools/%: tests/tools/%.c $(LIBS_all)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(INC_all) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_all) $(API_LIBS) $(RUNTIME_LIBS) $(NFT_LIBS)

# apibench drives podnetd through libcurl, as a client would.
$(BUILD)/bench/%: bench/%.c $(LIBS_all)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(INC_all) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_all) $(API_LIBS) $(RUNTIME_LIBS) $(NFT_LIBS) -lcurl

-include $(ALL_OBJS:.o=.d) $(UNIT_BINS:=.d) $(TOOL_BINS:=.d) $(BENCH_BINS:=.d)

# The compiler flags of one layer, for tests/build/layering.sh:
#   make -s layer-flags LAYER=cni
layer-flags:
	@echo $(CPPFLAGS) $(INC_$(LAYER)) $(CSTD)

unit: $(UNIT_BINS) $(TOOL_BINS)

# The whole suite: unit tests plain and under ASan+UBSan, then the
# integration tests in throwaway nodes, the fault suite's short form, and
# every fuzz target for 60 s (tests/run.sh builds them with `make fuzz` and
# runs them in the background; FUZZ_TIME=0 skips them).  Last line:
# "N passed, N failed".
check:
	$(Q)scripts/install-deps.sh
	$(Q)$(MAKE) --no-print-directory all unit
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 unit
	$(Q)tests/run.sh

demo:
	$(Q)scripts/install-deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

# The fault-injection suite in full (docs/reliability.md): 100 kill trials
# per command, 10 reboots, 200 pods and a pod of 1000 containers, the
# wall-clock budgets held.  `make check` runs its short form (~3.5 min on 2 loaded cores).
faults:
	$(Q)scripts/install-deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)FAULT_FULL=1 FAULT_TIMEOUT=$${FAULT_TIMEOUT:-14400} tests/run.sh tests/faults/

# Memcheck over the unit tests and the seed demo, once through podnet and
# once through podnetd, with the programs, shims and CNI plugins under
# valgrind (docs/reliability.md, "Valgrind"; ~8 min on 2 loaded cores).  Its own build: -g -O1, no sanitizers,
# dynamic plugins.  -O1 sees fewer bounds than -O2, and GCC then warns
# about snprintf truncations the code intends (an os-release name cut to
# its buffer): that warning is off there only.
VG_BUILD := build/vg
valgrind:
	$(Q)scripts/install-deps.sh
	$(Q)CFLAGS="-g -O1 -Wno-format-truncation" $(MAKE) --no-print-directory BUILD=$(VG_BUILD) \
		CNI_STATIC= all unit
	$(Q)VG_BUILD=$(VG_BUILD) tests/valgrind/run.sh

bench: all $(BENCH_BINS)
	$(Q)bench/run.sh
	$(Q)bench/pods.sh
	$(Q)bench/api.sh
	$(Q)bench/api-stream.sh
	$(Q)bench/netpol.sh
	$(Q)bench/services.sh
	$(Q)bench/delete.sh

# libFuzzer targets, one per parser of untrusted input (clang only).  The
# layer archives are rebuilt with clang and the sanitizers' coverage hooks in
# build/fuzz/, and each target links them as the programs do.
FUZZ_BUILD := build/fuzz
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined
fuzz:
	$(Q)$(MAKE) --no-print-directory CC=clang BUILD=$(FUZZ_BUILD) CFLAGS="$(FUZZ_CFLAGS)" \
		STATIC= LDFLAGS= libs
	$(Q)for f in $(FUZZ_SRCS); do \
		n=$$(basename $$f .c); \
		echo "  FUZZ    $$n"; \
		clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) $(INC_all) $(CSTD) \
			-o $(FUZZ_BUILD)/$$n $$f $(subst $(BUILD)/,$(FUZZ_BUILD)/,$(LIBS_all)) \
			$(API_LIBS) $(RUNTIME_LIBS) $(NFT_LIBS) || exit 1; \
	done

# Every layer's archive (what the fuzz targets link).
libs: $(LIBS_all)

install: all
	install -d $(DESTDIR)$(CNI_BIN_DIR)
	install -m 0755 $(CNI_BINS) $(DESTDIR)$(CNI_BIN_DIR)/
	$(if $(RUNTIME_BINS),install -d $(DESTDIR)$(PREFIX)/bin && install -m 0755 $(RUNTIME_BINS) $(DESTDIR)$(PREFIX)/bin/)
	install -m 0755 $(API_BINS) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	sed 's|@BINDIR@|$(PREFIX)/bin|g' contrib/systemd/podnetd.service >$(DESTDIR)$(SYSTEMD_UNIT_DIR)/podnetd.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/podnetd.service
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 docs/podnet-bridge.8 docs/podnet-ipam.8 docs/podnetd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 docs/podnet.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 contrib/bash-completion/podnet $(DESTDIR)$(PREFIX)/share/bash-completion/completions/podnet

deps:
	scripts/install-deps.sh

clean:
	rm -rf build

# Run every fuzz target for FUZZ_TIME seconds, with its dictionary when it
# has one; new inputs go to build/, the committed seed corpus stays read-only.
FUZZ_TIME ?= 60
fuzz-run: fuzz
	$(Q)for f in $(FUZZ_SRCS); do \
		n=$$(basename $$f .c); c=$${n#fuzz_}; d=; \
		[ -f tests/fuzz/$$c.dict ] && d=-dict=tests/fuzz/$$c.dict; \
		mkdir -p $(FUZZ_BUILD)/corpus-$$c; \
		$(FUZZ_BUILD)/$$n -max_total_time=$(FUZZ_TIME) $$d $(FUZZ_BUILD)/corpus-$$c tests/fuzz/corpus/$$c || exit 1; \
	done
