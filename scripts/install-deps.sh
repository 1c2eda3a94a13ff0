#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install the Debian 12 packages podnet builds, tests, benchmarks and demos
# with.  Idempotent: installs only what is missing.
set -eu

# Compilers; clang and its runtime build the libFuzzer targets (make fuzz).
PKGS="build-essential pkg-config clang libclang-rt-14-dev"
# Libraries podnet links: JSON, YAML, state, image tarballs; libnftables is
# for the NetworkPolicy/Services code (src/policy, linked into podnet).
PKGS="$PKGS libjansson-dev libyaml-dev libsqlite3-dev libarchive-dev libnftables-dev"
# nft (podnet-bridge's once-per-network masquerade, tests read rules back),
# ip/ss, unshare/nsenter, pgrep; psmisc and file only for a shell in a
# throwaway node (scripts/demo.sh --keep).
PKGS="$PKGS nftables iproute2 util-linux procps psmisc file"
# Test traffic and checks: curl, jq, busybox httpd/nc, ping, a python3 UDP
# listener; iptables for the reference portmap and bridge.
PKGS="$PKGS curl jq busybox iputils-ping iptables python3"
# The reference CNI plugins (the tests' yardstick), the OCI runtimes, and
# the nginx the seed's pods run.
PKGS="$PKGS containernetworking-plugins crun runc nginx-light"
# podnetd: HTTP/1.1 + TLS (libmicrohttpd over GnuTLS), its certificates
# (GnuTLS) and WebSocket framing for exec (wslay).  Its tests drive the real
# kubectl; where none is installed, Debian's kubernetes-client (an older
# kubectl) stands in.  bench/apibench is a libcurl client; the shim
# dlopens libcurl-gnutls.so.4 (libcurl3-gnutls, pulled in by the -dev
# package, whose header the shim compiles against) for httpGet probes.
# zlib: podnetd gzips large lists for clients that accept it, as
# kube-apiserver does, and port-forward speaks SPDY/3.1, whose header
# blocks are zlib streams primed with the protocol's dictionary.
PKGS="$PKGS libmicrohttpd-dev libgnutls28-dev libwslay-dev libcurl4-gnutls-dev zlib1g-dev"
if ! command -v kubectl >/dev/null 2>&1; then
	PKGS="$PKGS kubernetes-client"
fi
# The fault suite (tests/faults): sqlite3 reads the state back read-only,
# strace injects faults at syscalls; valgrind for make valgrind.
PKGS="$PKGS sqlite3 strace valgrind"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Packages such as nginx start their service on install; podnet only runs
# them inside pods, so keep the machine's own services as they were.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	policy=/usr/sbin/policy-rc.d
fi
trap '[ -z "$policy" ] || rm -f "$policy"' EXIT
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
