/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnet-ipam: the CNI IPAM plugin (ipam type "podnet-ipam"), host-local
 * compatible, over the lease store of ipam.c.  A thin main: the CNI verbs
 * when run by a runtime, and `podnet-ipam leases` for a human.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipam.h"
#include "skel.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: podnet-ipam                      (run by a container runtime)\n"
		"       podnet-ipam leases [--data-dir DIR] [--no-trunc] [NETWORK]\n"
		"       podnet-ipam --help | --version\n"
		"\n"
		"A CNI IPAM plugin (ipam type \"podnet-ipam\"), compatible with host-local's\n"
		"configuration and store (default dataDir " IPAM_DEFAULT_DATA_DIR "),\n"
		"whose leases record container, interface, netns and boot: leases of an\n"
		"earlier boot or of a vanished netns are reclaimed when a range runs out,\n"
		"and CNI GC frees every lease not in cni.dev/valid-attachments.\n"
		"\n"
		"As a plugin the verb comes in CNI_COMMAND (ADD, DEL, CHECK, GC, STATUS,\n"
		"VERSION), the network configuration on stdin; the result or the spec's\n"
		"error object goes to stdout.\n"
		"\n"
		"leases   list the leases of NETWORK (all networks if omitted):\n"
		"         NETWORK IP CONTAINER IFNAME NETNS AGE STALE\n");
}

/* kubectl's short ages: 5s, 3m, 2h, 4d. */
static const char *age_str(time_t created, time_t now, char *buf, size_t size)
{
	long long d = (long long)(now - created);

	if (!created)
		snprintf(buf, size, "<unknown>");
	else if (d < 0)
		snprintf(buf, size, "0s");
	else if (d < 60)
		snprintf(buf, size, "%llds", d);
	else if (d < 3600)
		snprintf(buf, size, "%lldm", d / 60);
	else if (d < 86400)
		snprintf(buf, size, "%lldh", d / 3600);
	else
		snprintf(buf, size, "%lldd", d / 86400);
	return buf;
}

struct row {
	const char *col[7];
	char ip[PN_IP_STRLEN];
	char id[256];
	char age[32];
};

static void print_row(const char *const *col, const size_t *w)
{
	for (size_t c = 0; c < 6; c++)
		printf("%-*s   ", (int)w[c], col[c]);
	printf("%s\n", col[6]);
}

static int cmd_leases(int argc, char **argv)
{
	static const char *const head[7] = { "NETWORK", "IP", "CONTAINER", "IFNAME", "NETNS",
					     "AGE", "STALE" };
	const char *data_dir = IPAM_DEFAULT_DATA_DIR, *only = NULL;
	struct pn_err err = { 0 };
	struct row *rows = NULL, *nr;
	size_t n_rows = 0, n_nets = 0, w[7] = { 0 };
	struct ipam_lease **leases = NULL;
	size_t *n_leases = NULL;
	bool trunc = true;
	char **nets = NULL;
	time_t now = time(NULL);
	int ret = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--data-dir") && i + 1 < argc) {
			data_dir = argv[++i];
		} else if (!strncmp(argv[i], "--data-dir=", 11)) {
			data_dir = argv[i] + 11;
		} else if (!strcmp(argv[i], "--no-trunc")) {
			trunc = false;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || only) {
			fprintf(stderr, "podnet-ipam leases: unexpected argument %s\n", argv[i]);
			usage(stderr);
			return 2;
		} else {
			only = argv[i];
		}
	}
	if (only) {
		nets = calloc(1, sizeof(*nets));
		if (!nets || !(nets[0] = strdup(only)))
			goto nomem;
		n_nets = 1;
	} else if (ipam_list_networks(data_dir, &nets, &n_nets, &err) < 0) {
		fprintf(stderr, "podnet-ipam: %s%s%s\n", pn_err_msg(&err), err.details ? ": " : "",
			pn_err_details_text(&err));
		goto out;
	}
	leases = calloc(n_nets + 1, sizeof(*leases));
	n_leases = calloc(n_nets + 1, sizeof(*n_leases));
	if (!leases || !n_leases)
		goto nomem;
	for (size_t i = 0; i < n_nets; i++) {
		if (ipam_list(data_dir, nets[i], &leases[i], &n_leases[i], &err) < 0) {
			fprintf(stderr, "podnet-ipam: %s\n", pn_err_msg(&err));
			goto out;
		}
		nr = realloc(rows, (n_rows + n_leases[i] + 1) * sizeof(*rows));
		if (!nr)
			goto nomem;
		rows = nr;
		for (size_t k = 0; k < n_leases[i]; k++) {
			const struct ipam_lease *l = &leases[i][k];
			struct row *r = &rows[n_rows++];

			snprintf(r->id, sizeof(r->id), "%.*s", trunc ? 13 : 255, l->container_id);
			r->col[0] = nets[i];
			r->col[1] = pn_ip_str(&l->ip, r->ip);
			r->col[2] = r->id[0] ? r->id : "<none>";
			r->col[3] = l->ifname[0] ? l->ifname : "<none>";
			r->col[4] = l->netns[0] ? l->netns : "<none>";
			r->col[5] = age_str(l->created, now, r->age, sizeof(r->age));
			r->col[6] = l->stale ? "yes" : "no";
		}
	}
	if (!n_rows) {
		fprintf(stderr, only ? "No leases in network %s.\n" : "No leases found.\n", only);
		ret = 0;
		goto out;
	}
	for (size_t c = 0; c < 7; c++) {
		w[c] = strlen(head[c]);
		for (size_t i = 0; i < n_rows; i++)
			if (strlen(rows[i].col[c]) > w[c])
				w[c] = strlen(rows[i].col[c]);
	}
	print_row(head, w);
	for (size_t i = 0; i < n_rows; i++)
		print_row(rows[i].col, w);
	ret = fflush(stdout) == 0 ? 0 : 1;
	goto out;
nomem:
	fprintf(stderr, "podnet-ipam: out of memory\n");
out:
	for (size_t i = 0; i < n_nets; i++) {
		if (leases)
			free(leases[i]);
		free(nets[i]);
	}
	free(leases);
	free(n_leases);
	free(nets);
	free(rows);
	pn_err_free(&err);
	return ret;
}

static int ipam_subcommand(int argc, char **argv)
{
	if (!strcmp(argv[0], "leases"))
		return cmd_leases(argc, argv);
	fprintf(stderr, "podnet-ipam: unknown command %s\n", argv[0]);
	usage(stderr);
	return 2;
}

/* CNI_ARGS IP=, args.cni.ips and runtimeConfig.ips, in that order. */
static size_t gather_requested(const struct cni_env *env, const struct cni_conf *conf,
			       struct pn_ip *out)
{
	size_t n = 0;

	for (size_t i = 0; i < env->args.n_ips; i++)
		out[n++] = env->args.ips[i];
	for (size_t i = 0; i < conf->n_arg_ips; i++)
		out[n++] = conf->arg_ips[i];
	for (size_t i = 0; i < conf->n_rc_ips; i++)
		out[n++] = conf->rc_ips[i];
	return n;
}

static int ipam_cmd_add(const struct cni_call *c, struct cni_result **out, struct pn_err *err)
{
	struct pn_ip requested[3 * CNI_MAX_IPS];
	struct ipam_request req = {
		.network = c->conf->name,
		.container_id = c->env->container_id,
		.ifname = c->env->ifname,
		.netns = c->env->netns,
		.requested = requested,
		.n_requested = gather_requested(c->env, c->conf, requested),
	};
	struct cni_result *res = cni_result_new();
	int ret;

	if (!res)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	ret = ipam_add(&c->conf->ipam, &req, res, err);
	if (ret < 0) {
		cni_result_free(res);
		return ret;
	}
	*out = res;
	return 0;
}

static int ipam_cmd_del(const struct cni_call *c, struct pn_err *err)
{
	return ipam_del(&c->conf->ipam, c->conf->name, c->env->container_id, c->env->ifname, err);
}

static int ipam_cmd_check(const struct cni_call *c, struct pn_err *err)
{
	const struct cni_result *prev = c->conf->prev_result;

	if (!prev)
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
				"CHECK needs prevResult in the network configuration");
	return ipam_check(&c->conf->ipam, c->conf->name, c->env->container_id, c->env->ifname,
			  prev->ips, prev->n_ips, err);
}

static int ipam_cmd_gc(const struct cni_call *c, struct pn_err *err)
{
	size_t freed;

	/* SPEC 1.1: the runtime always passes the attachments to keep;
	 * without them GC would free every lease of the network. */
	if (!c->conf->has_valid)
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
				"GC needs cni.dev/valid-attachments in the network configuration");
	return ipam_gc(&c->conf->ipam, c->conf->name, c->conf->valid, c->conf->n_valid, &freed,
		       err);
}

static int ipam_cmd_status(const struct cni_call *c, struct pn_err *err)
{
	return ipam_status(&c->conf->ipam, c->conf->name, err);
}

static const struct cni_plugin ipam_plugin = {
	.name = "podnet-ipam",
	.parse_ipam = true,
	.usage = usage,
	.subcommand = ipam_subcommand,
	.add = ipam_cmd_add,
	.del = ipam_cmd_del,
	.check = ipam_cmd_check,
	.gc = ipam_cmd_gc,
	.status = ipam_cmd_status,
};

int main(int argc, char **argv)
{
	return cni_skel_main(&ipam_plugin, argc, argv);
}
