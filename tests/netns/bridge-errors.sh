#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bad input: every malformed config, environment or request gets the spec's
# error object with the exact code and a message naming the bad value, a
# non-zero exit, and leaves nothing behind: no veth on the node, no eth0 in
# the pod, no lease.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

pod_add pod
good='"cniVersion": "1.1.0", "name": "err", "type": "podnet-bridge", "bridge": "pne0", "isGateway": true'
ipam='"ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.95.0.0/24" }]] }'

nothing_left() {
	local veths held=0 eth0
	veths=$(count ip -o link show type veth)
	# No store at all is no lease (the failure came before IPAM).
	[ -d /var/lib/cni/networks/err ] && held=$(leases err)
	eth0=$(ip -n pod -o link show eth0 2>&1)
	[ "$veths" = 0 ] && [ "$eth0" = 'Device "eth0" does not exist.' ] && [ "$held" = 0 ] && return 0
	echo "#   left behind: $veths veth(s), $held lease(s), eth0: $eth0"
	return 1
}

# bad DESC CODE MSG_REGEX CONFIG_TEXT [VAR=VALUE...]: run ADD of $PLUGIN
# (podnet-bridge unless set) with the standard environment overridden by
# VAR=VALUE (VAR= unsets it).
bad() {
	local desc=$1 code=$2 re=$3 text=$4; shift 4
	if [ -z "$re" ] || [[ "" =~ $re ]]; then
		t_fail "$desc: /$re/ matches any message"
		return
	fi
	local envs=(CNI_COMMAND=ADD CNI_CONTAINERID=bad1 CNI_NETNS=/run/netns/pod CNI_IFNAME=eth0 CNI_PATH="$CNI_PATH")
	local unset=() kv
	for kv in "$@"; do
		if [ "${kv#*=}" = "" ] && [[ "$kv" == *= ]]; then unset+=(-u "${kv%=}"); else envs+=("$kv"); fi
	done
	printf '%s' "$text" >"$T/bad.conf"
	env -i PATH="$PATH" "${envs[@]}" env "${unset[@]}" "$BIN/${PLUGIN:-podnet-bridge}" <"$T/bad.conf" >"$T/out" 2>"$T/err"
	local rc=$? got msg
	got=$(jq -r .code "$T/out" 2>/dev/null)
	msg=$(jq -r '.msg + " " + (.details // "")' "$T/out" 2>/dev/null)
	if [ $rc -ne 0 ] && [ "$got" = "$code" ] && [[ "$msg" =~ $re ]] && nothing_left; then
		t_pass "$desc: code $code"
	else
		t_fail "$desc: want code $code and /$re/"
		echo "#   exit $rc, stdout: $(head -c 400 "$T/out")"
	fi
}

bad "malformed JSON" 6 "line 1" "{ $good, "
bad "empty config" 6 "^configuration is not valid JSON: .*near end of file" ""
bad "config is not an object" 6 "^configuration: expected an object, got array" "[1, 2]"
bad "unknown cniVersion" 1 "9\.9\.9" "{ \"cniVersion\": \"9.9.9\", \"name\": \"err\", \"type\": \"podnet-bridge\", $ipam }"
bad "cniVersion of the wrong type" 7 "cniVersion" "{ \"cniVersion\": 1, \"name\": \"err\", \"type\": \"podnet-bridge\", $ipam }"
bad "missing name" 7 "name" "{ \"cniVersion\": \"1.0.0\", \"type\": \"podnet-bridge\", $ipam }"
bad "invalid network name" 7 "bad name" "{ \"cniVersion\": \"1.0.0\", \"name\": \"bad name\", \"type\": \"podnet-bridge\", $ipam }"
bad "isGateway not a bool" 7 "isGateway" "{ $good, \"isGateway\": \"yes\", $ipam }"
bad "ipMasq not a bool" 7 "ipMasq" "{ $good, \"ipMasq\": 1, $ipam }"
bad "mtu as a string" 7 "mtu" "{ $good, \"mtu\": \"1500\", $ipam }"
bad "mtu too small" 7 "mtu.*10" "{ $good, \"mtu\": 10, $ipam }"
bad "bridge name too long" 7 "toolongbridgename0" "{ $good, \"bridge\": \"toolongbridgename0\", $ipam }"
bad "bridge name with a slash" 7 "br/0" "{ $good, \"bridge\": \"br/0\", $ipam }"
bad "subnet prefix out of range" 7 "10\.95\.0\.0/33" "{ $good, \"ipam\": { \"type\": \"podnet-ipam\", \"ranges\": [[{ \"subnet\": \"10.95.0.0/33\" }]] } }"
# A subnet with host bits set, as host-local refuses it: in-process IPAM
# (podnet-bridge) and podnet-ipam run on its own, both forms, both families.
for PLUGIN in podnet-bridge podnet-ipam; do
	bad "$PLUGIN: subnet with host bits set" 7 "^ipam\.ranges\[0\]\[0\]\.subnet: 10\.95\.0\.5/24 has host bits set: use 10\.95\.0\.0/24 $" \
		"{ $good, \"ipam\": { \"type\": \"podnet-ipam\", \"ranges\": [[{ \"subnet\": \"10.95.0.5/24\" }]] } }"
	bad "$PLUGIN: IPv6 subnet with host bits set" 7 "^ipam\.ranges\[1\]\[0\]\.subnet: fd95::1/64 has host bits set: use fd95::/64 $" \
		"{ $good, \"ipam\": { \"type\": \"podnet-ipam\", \"ranges\": [[{ \"subnet\": \"10.95.0.0/24\" }], [{ \"subnet\": \"fd95::1/64\" }]] } }"
	bad "$PLUGIN: single-range subnet with host bits set" 7 "^ipam\.subnet: 10\.95\.0\.5/24 has host bits set: use 10\.95\.0\.0/24 $" \
		"{ $good, \"ipam\": { \"type\": \"podnet-ipam\", \"subnet\": \"10.95.0.5/24\" } }"
done
PLUGIN=
bad "subnet not a CIDR" 7 "banana" "{ $good, \"ipam\": { \"type\": \"podnet-ipam\", \"ranges\": [[{ \"subnet\": \"banana\" }]] } }"
bad "rangeStart outside the subnet" 7 "10\.96\.0\.5" "{ $good, \"ipam\": { \"type\": \"podnet-ipam\", \"ranges\": [[{ \"subnet\": \"10.95.0.0/24\", \"rangeStart\": \"10.96.0.5\" }]] } }"
bad "rangeStart after rangeEnd" 7 "10\.95\.0\.50" "{ $good, \"ipam\": { \"type\": \"podnet-ipam\", \"ranges\": [[{ \"subnet\": \"10.95.0.0/24\", \"rangeStart\": \"10.95.0.50\", \"rangeEnd\": \"10.95.0.10\" }]] } }"
bad "gateway outside the subnet" 7 "10\.1\.1\.1" "{ $good, \"ipam\": { \"type\": \"podnet-ipam\", \"ranges\": [[{ \"subnet\": \"10.95.0.0/24\", \"gateway\": \"10.1.1.1\" }]] } }"
bad "overlapping ranges" 7 "10\.95\.0\.0/2[45].*10\.95\.0\.0/2[45]" "{ $good, \"ipam\": { \"type\": \"podnet-ipam\", \"ranges\": [[{ \"subnet\": \"10.95.0.0/24\" }], [{ \"subnet\": \"10.95.0.0/25\" }]] } }"
bad "no ranges at all" 7 "range" "{ $good, \"ipam\": { \"type\": \"podnet-ipam\" } }"
bad "IPAM plugin not in CNI_PATH" 7 "no-such-ipam" "{ $good, \"ipam\": { \"type\": \"no-such-ipam\" } }"
bad "DNS nameserver not an address" 7 "not-an-ip" "{ $good, \"dns\": { \"nameservers\": [\"not-an-ip\"] }, $ipam }"
bad "runtimeConfig.mac malformed" 7 "zz:zz" "{ $good, \"runtimeConfig\": { \"mac\": \"zz:zz\" }, $ipam }"
bad "runtimeConfig.ips not an array" 7 "ips" "{ $good, \"runtimeConfig\": { \"ips\": \"10.95.0.9\" }, $ipam }"
bad "prevResult with a bad address" 6 "10\.0\.0\.300" "{ $good, $ipam, \"prevResult\": { \"cniVersion\": \"1.1.0\", \"ips\": [{ \"address\": \"10.0.0.300/24\" }] } }"
bad "missing CNI_COMMAND" 4 "CNI_COMMAND" "{ $good, $ipam }" CNI_COMMAND=
bad "unknown CNI_COMMAND" 4 "FROB" "{ $good, $ipam }" CNI_COMMAND=FROB
bad "missing CNI_CONTAINERID" 4 "CNI_CONTAINERID" "{ $good, $ipam }" CNI_CONTAINERID=
bad "invalid CNI_CONTAINERID" 4 "\.\./etc" "{ $good, $ipam }" CNI_CONTAINERID=../etc
bad "missing CNI_NETNS" 4 "CNI_NETNS" "{ $good, $ipam }" CNI_NETNS=
bad "missing CNI_IFNAME" 4 "CNI_IFNAME" "{ $good, $ipam }" CNI_IFNAME=
bad "CNI_IFNAME too long" 4 "eth0123456789abc" "{ $good, $ipam }" CNI_IFNAME=eth0123456789abc
bad "CNI_IFNAME with a slash" 4 "eth/0" "{ $good, $ipam }" CNI_IFNAME=eth/0
bad "CNI_IFNAME ." 4 "CNI_IFNAME" "{ $good, $ipam }" CNI_IFNAME=.
bad "missing CNI_PATH" 4 "CNI_PATH" "{ $good, $ipam }" CNI_PATH=
bad "CNI_NETNS that does not exist" 3 "/run/netns/nope" "{ $good, $ipam }" CNI_NETNS=/run/netns/nope
bad "CNI_NETNS that is not a netns" 4 "/etc/hostname" "{ $good, $ipam }" CNI_NETNS=/etc/hostname
bad "CNI_ARGS with an unknown key" 4 "FOO" "{ $good, $ipam }" CNI_ARGS=FOO=bar
bad "CNI_ARGS pair without =" 4 "novalue" "{ $good, $ipam }" CNI_ARGS=novalue
bad "CNI_ARGS IP not an address" 4 "10\.95\.0\.999" "{ $good, $ipam }" CNI_ARGS=IP=10.95.0.999
bad "requested IP outside every range" 7 "10\.99\.0\.9" "{ $good, $ipam }" CNI_ARGS=IP=10.95.0.9,10.99.0.9

# A requested address already leased to another pod.
pod_add other
printf '%s' "{ $good, $ipam }" >"$T/good.conf"
t_ok "ADD other pod with IP=10.95.0.7" cni podnet-bridge ADD other1 /run/netns/other eth0 "$T/good.conf" "IgnoreUnknown=1;IP=10.95.0.7;K8S_POD_NAME=x"
t_is "$(jq -r '.ips[0].address' "$T/out")" "10.95.0.7/24" "the requested address is honoured"
cni podnet-bridge ADD bad2 /run/netns/pod eth0 "$T/good.conf" "IP=10.95.0.7"
t_is "$CNI_RC:$(jq -r .code "$T/out")" "1:102" "a requested address leased to another: code 102"
t_match "$(jq -r .msg "$T/out")" "10\.95\.0\.7" "naming the address"
t_gone "no eth0 left in the pod" -n pod eth0

# Failure part-way: eth0 already exists in the pod, after IPAM leased an address.
ip -n pod link add eth0 type veth peer name eth0peer
cni podnet-bridge ADD bad3 /run/netns/pod eth0 "$T/good.conf"
t_is "$CNI_RC:$(jq -r .code "$T/out")" "1:107" "ADD when eth0 already exists in the pod: code 107"
t_match "$(jq -r .msg "$T/out")" "eth0 already exists in /run/netns/pod" "naming the interface and netns"
t_is "$(leases err)" "1" "the lease taken before the failure was rolled back (only other's remains)"
t_is "$(count ip -o link show master pne0)" "1" "no new port on the bridge"
ip -n pod link del eth0

# The bridge name is taken by a link of another kind.
ip link add pnx0 type veth peer name pnx0peer
printf '%s' "{ $good, \"bridge\": \"pnx0\", $ipam }" >"$T/x.conf"
cni podnet-bridge ADD bad4 /run/netns/pod eth0 "$T/x.conf"
t_match "$CNI_RC:$(jq -r .msg "$T/out")" "^1:.*pnx0.*veth" "a non-bridge link named like the bridge is refused, naming its kind"
t_is "$(leases err)" "1" "and its lease was rolled back"
t_ok "DEL other" cni podnet-bridge DEL other1 /run/netns/other eth0 "$T/good.conf"
t_done
