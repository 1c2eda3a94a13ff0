/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnet-bridge: the CNI plugin (type "podnet-bridge").  A thin main: read
 * the CNI environment and the network config, run the verb, print the
 * result or the spec's error object on stdout.
 */
#include <stdio.h>

#include "bridge.h"
#include "skel.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: podnet-bridge\n"
		"\n"
		"A CNI plugin (type \"podnet-bridge\"): connects a pod's network namespace to a\n"
		"node bridge through a veth pair, with addresses from IPAM, routes and\n"
		"masquerade.  It is run by a container runtime, not by hand: the verb and its\n"
		"arguments come in CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME,\n"
		"CNI_ARGS and CNI_PATH, the network configuration on stdin; the result or an\n"
		"error object goes to stdout.\n"
		"\n"
		"Verbs: ADD, DEL, CHECK, GC, STATUS, VERSION (CNI spec 1.1.0; configs of\n"
		"cniVersion 0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0 are accepted).\n"
		"\n"
		"See podnet-bridge(8) for every configuration key and error code.\n");
}

static const struct cni_plugin bridge_plugin = {
	.name = "podnet-bridge",
	.usage = usage,
	.add = bridge_cmd_add,
	.del = bridge_cmd_del,
	.check = bridge_cmd_check,
	.gc = bridge_cmd_gc,
	.status = bridge_cmd_status,
};

int main(int argc, char **argv)
{
	return cni_skel_main(&bridge_plugin, argc, argv);
}
