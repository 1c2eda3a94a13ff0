#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The layers of src/ (see the Makefile): each compiles with the include
# paths of itself and the layers below it, so an include pointing up the
# stack must fail to compile.  Proven two ways:
#   1. a real build of a copy of the tree in which src/cni/cni.c includes a
#      runtime header fails, and the same build without that line succeeds;
#   2. every layer sees its own headers and those of the layers below it,
#      and no other layer's.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/podnet-layering.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0 failed=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

# 1. A real build of a wrong-way include.
(cd "$ROOT" && git ls-files -z src Makefile | xargs -0 cp --parents -t "$T") || exit 1
mk() { make -s -C "$T" BUILD="$T/build" "$@" >"$T/make.log" 2>&1; }
if mk "$T/build/obj/cni/cni.o"; then
	pass "src/cni/cni.c builds as committed"
else
	fail "src/cni/cni.c builds as committed"; sed 's/^/#   /' "$T/make.log" | head
fi
printf '#include "podrt.h"\n' >>"$T/src/cni/cni.c"
# Within the same second the edited cni.c may look no newer than cni.o.
rm -f "$T/build/obj/cni/cni.o"
if mk "$T/build/obj/cni/cni.o"; then
	fail "src/cni/cni.c including the runtime's podrt.h must not compile"
elif grep -q 'podrt.h: No such file' "$T/make.log"; then
	pass "src/cni/cni.c including the runtime's podrt.h fails: podrt.h not found"
else
	fail "build failed, but not for podrt.h"; sed 's/^/#   /' "$T/make.log" | head
fi

# 2. Every layer against every other: it sees itself and what is below it
# (written out here, from the architecture, not read from the Makefile),
# and nothing else.
declare -A below=(
	[base]=""
	[kernel]="base"
	[cni]="base kernel"
	[cni_ipam]="base kernel cni"
	[cni_bridge]="base kernel cni cni_ipam"
	[runtime]="base kernel cni"
	[policy]="base kernel cni runtime"
	[inspect]="base kernel cni cni_ipam cni_bridge runtime policy"
	[shim]="base kernel cni runtime"
	[api]="base kernel cni cni_ipam cni_bridge runtime policy inspect"
	[cli]="base kernel cni cni_ipam cni_bridge runtime policy inspect"
)
dir() { echo "src/${1//_//}"; }
# A header the layer owns (the first found), to include from elsewhere.
first_header() { (cd "$ROOT" && ls "$(dir "$1")"/*.h 2>/dev/null | head -n 1 | xargs -r basename); }
for low in "${!below[@]}"; do
	# Absolute include paths: the probe file lives outside the tree.
	flags=$(make -s -C "$ROOT" layer-flags LAYER="$low" | sed "s|-Isrc/|-I$ROOT/src/|g")
	for high in "${!below[@]}"; do
		h=$(first_header "$high")
		[ -n "$h" ] || continue
		printf '#include "%s"\n' "$h" >"$T/probe.c"
		# shellcheck disable=SC2086
		(cd "$T" && cc $flags -fsyntax-only probe.c) >"$T/cc.log" 2>&1
		rc=$?
		if [ "$low" = "$high" ] || [[ " ${below[$low]} " == *" $high "* ]]; then
			if [ $rc -eq 0 ]; then pass "$low sees $high's $h"; else
				fail "$low sees $high's $h"; sed 's/^/#   /' "$T/cc.log" | head -5; fi
		else
			if [ $rc -ne 0 ]; then pass "$low does not see $high's $h"; else
				fail "$low must not see $high's $h"; fi
		fi
	done
done
# 3. What a program links is part of the layering: podnet-shim runs once
# per pod, so it maps no SQLite and no libarchive (nor libarchive's ICU and
# libxml2): ids come from base, root file systems from podnet (Makefile).
shim="$ROOT/build/bin/podnet-shim"
if [ ! -x "$shim" ]; then
	fail "$shim is built (make all)"
else
	needed=$(readelf -d "$shim" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
	if [[ " $needed" == *" libsqlite3"* || " $needed" == *" libarchive"* ]]; then
		fail "podnet-shim must not link SQLite nor libarchive: NEEDED $needed"
	else
		pass "podnet-shim links neither SQLite nor libarchive (NEEDED: $needed)"
	fi
	mapped=$(ldd "$shim" | grep -E 'libsqlite3|libarchive|libxml2|libicu|libcurl' | awk '{print $1}' | tr '\n' ' ')
	if [ -n "$mapped" ]; then fail "podnet-shim must load none of $mapped"; else
		pass "podnet-shim loads no SQLite, libarchive, libxml2, ICU nor libcurl at start"; fi
	syms=$(nm -D --undefined-only "$shim" | grep -cE ' (sqlite3_|archive_)')
	if [ "$syms" -eq 0 ]; then pass "podnet-shim calls no sqlite3_* nor archive_* function"; else
		fail "podnet-shim calls $syms sqlite3_*/archive_* functions"; fi
fi

echo "1..$n"
[ $failed -eq 0 ]
