/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Node inspection: `podnet netns [identify PID]`, `podnet pid2pod PID`,
 * `podnet graph`.  Everything comes from one inventory snapshot
 * (src/inspect/inventory.c); the table, the JSON and the graph are views of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "cmd.h"
#include "inventory.h"
#include "output.h"
#include "podrt.h"

/* The snapshot, with podnet's pods if this node has podnet state (a node
 * where podnet never ran is inspected without creating any). */
static int snapshot(struct podrt *rt, bool *rt_open, bool skip_links, struct inventory **inv)
{
	struct inventory_opts o = { 0 };
	struct podnet_env env;
	struct pn_err err = { 0 };
	char db[4096];

	podnet_env_load(&env);
	*rt_open = false;
	cmd_runtime_init(rt, &env);
	snprintf(db, sizeof(db), "%s/state.db", env.root);
	if (access(db, F_OK) == 0) {
		if (podrt_open(rt, &err) < 0) {
			cmd_error(&err);
			pn_err_free(&err);
			return -1;
		}
		*rt_open = true;
	}
	o.netns_dir = env.netns_dir;
	o.cni_cache = env.cni_cache;
	o.cni_conf_dir = env.cni_conf_dir;
	o.rt = *rt_open ? rt : NULL;
	o.skip_links = skip_links;
	if (inventory_collect(&o, inv, &err) < 0) {
		cmd_error(&err);
		pn_err_free(&err);
		return -1;
	}
	pn_err_free(&err);
	return 0;
}

static void snapshot_end(struct podrt *rt, bool rt_open, struct inventory *inv)
{
	inventory_free(inv);
	if (rt_open)
		podrt_close(rt);
}

static int parse_pid(const char *s, pid_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 4194304) {
		cmd_errorf("invalid PID \"%s\"", s);
		return -1;
	}
	*out = (pid_t)v;
	return 0;
}

/* "a,b,c" of at most @max items then "+N"; into a static-size buffer. */
static void list_append(char *buf, size_t size, size_t *count, size_t max, const char *item)
{
	size_t len = strlen(buf);

	if (++*count > max)
		return;
	snprintf(buf + len, size - len, "%s%s", len ? "," : "", item);
}

static void list_finish(char *buf, size_t size, size_t count, size_t max)
{
	size_t len = strlen(buf);

	if (count > max)
		snprintf(buf + len, size - len, ",+%zu", count - max);
	if (!buf[0])
		snprintf(buf, size, "-");
}

static int netns_table(const struct inventory *inv, bool wide)
{
	static const char *const hdr[] = { "NAME", "INODE", "POD", "CONTAINERS", "PIDS", "IP",
					   "HOST-VETH", "BRIDGE", "STATUS", "NSID", "SANDBOX",
					   "SOURCE", "INTERFACES" };
	size_t ncols = wide ? 13 : 9;
	struct table *t = NULL;
	struct pn_err err = { 0 };
	int rc = 1;

	if (table_new(TABLE_KUBECTL, ncols, hdr, &t, &err) < 0)
		goto out;
	for (size_t i = 0; i < inv->n_ns; i++) {
		const struct inv_netns *ns = &inv->ns[i];
		const struct inv_pod *p = ns->has_pod ? &ns->pod : NULL;
		const struct inv_link *up = inventory_pod_uplink(inv, ns);
		char ino[24], pod[256], ctrs[512] = "", pids[256] = "", ip[64] = "-", nsid[16],
			sb[16], ifs[512] = "", status[300];
		size_t nc = 0, np = 0, ni = 0;

		snprintf(ino, sizeof(ino), "%lu", (unsigned long)ns->ino);
		if (p)
			snprintf(pod, sizeof(pod), "%s/%s", p->namespace_ ? p->namespace_ : "?",
				 p->name ? p->name : "?");
		else
			snprintf(pod, sizeof(pod), "-");
		if (p) {
			char pid[16];

			if (p->pause_pid) {
				snprintf(pid, sizeof(pid), "%d", (int)p->pause_pid);
				list_append(pids, sizeof(pids), &np, 6, pid);
			}
			for (size_t c = 0; c < p->n_ctrs; c++) {
				char id[16];

				snprintf(id, sizeof(id), "%.12s", p->ctrs[c].id);
				list_append(ctrs, sizeof(ctrs), &nc, 6,
					    p->ctrs[c].name ? p->ctrs[c].name : id);
				if (p->ctrs[c].pid) {
					snprintf(pid, sizeof(pid), "%d", (int)p->ctrs[c].pid);
					list_append(pids, sizeof(pids), &np, 6, pid);
				}
			}
		}
		/* Without a pod, the holders are what keeps it alive. */
		if (!np)
			for (size_t k = 0; k < ns->n_procs; k++) {
				char pid[16];

				snprintf(pid, sizeof(pid), "%d", (int)ns->procs[k].pid);
				list_append(pids, sizeof(pids), &np, 4, pid);
			}
		list_finish(ctrs, sizeof(ctrs), nc, 6);
		list_finish(pids, sizeof(pids), np, p ? 6 : 4);
		if (p && p->pod_ip)
			snprintf(ip, sizeof(ip), "%s", p->pod_ip);
		else if (up)
			for (size_t a = 0; a < up->n_addrs; a++)
				if (up->addrs[a].ip.family == AF_INET) {
					pn_ip_str(&up->addrs[a].ip, ip);
					break;
				}
		if (ns->is_node)
			snprintf(status, sizeof(status), "node");
		else if (ns->orphan)
			snprintf(status, sizeof(status), "orphan: %s", ns->orphan);
		else if (p)
			snprintf(status, sizeof(status), "pod");
		else
			snprintf(status, sizeof(status), ns->is_init ? "init" : "-");
		if (ns->nsid >= 0)
			snprintf(nsid, sizeof(nsid), "%d", ns->nsid);
		else
			snprintf(nsid, sizeof(nsid), "-");
		snprintf(sb, sizeof(sb), "%.12s", p && p->sandbox_id ? p->sandbox_id : "-");
		for (size_t k = 0; k < ns->n_links; k++) {
			char one[64];

			if (!strcmp(ns->links[k].li.name, "lo"))
				continue;
			if (ns->links[k].peer_ifindex)
				snprintf(one, sizeof(one), "%s@if%d", ns->links[k].li.name,
					 ns->links[k].peer_ifindex);
			else
				snprintf(one, sizeof(one), "%s", ns->links[k].li.name);
			list_append(ifs, sizeof(ifs), &ni, 8, one);
		}
		list_finish(ifs, sizeof(ifs), ni, 8);
		{
			const char *row[] = {
				ns->name ? ns->name : "-", ino, pod, ctrs, pids, ip,
				up && up->peer_name[0] ? up->peer_name : "-",
				up && up->peer_master[0] ? up->peer_master : "-", status, nsid, sb,
				p ? inv_source_str(p->source) : "-", ifs,
			};

			if (table_add_row(t, row, &err) < 0)
				goto out;
		}
	}
	if (table_print(t, stdout, true, &err) < 0)
		goto out;
	/* Orphans that are not a namespace row's STATUS. */
	for (size_t i = 0; i < inv->n_orphans; i++) {
		const struct inv_orphan *o = &inv->orphans[i];

		if (o->kind == INV_ORPHAN_NETNS)
			continue;
		printf("orphan %s %s: %s\n", inv_orphan_kind_str(o->kind), o->object ? o->object : "-",
		       o->reason);
	}
	rc = 0;
out:
	if (rc)
		cmd_error(&err);
	table_free(t);
	pn_err_free(&err);
	return rc;
}

static int print_json(json_t *j)
{
	struct pn_err err = { 0 };
	int rc = 0;

	if (!j) {
		cmd_errorf("out of memory");
		return 1;
	}
	if (output_json(stdout, j, &err) < 0) {
		cmd_error(&err);
		rc = 1;
	}
	json_decref(j);
	pn_err_free(&err);
	return rc;
}

static void print_pid(const struct inv_pid *p, bool identify_only)
{
	const char *nsname = !p->ns ? "?" : p->ns->is_node ? "(node)" : p->ns->name ? p->ns->name : "-";

	if (identify_only) {
		/* `ip netns identify` prints the pin name(s), nothing when
		 * unpinned; we add the inode and the pod. */
		if (p->ns_errnum)
			printf("?\t(reading /proc/%d/ns/net was denied: %s)", (int)p->pid,
			       strerror(p->ns_errnum));
		else
			printf("%s\tinode %lu", nsname, (unsigned long)p->ino);
		if (p->pod)
			printf("\tpod %s/%s", p->pod->namespace_ ? p->pod->namespace_ : "?",
			       p->pod->name ? p->pod->name : "?");
		printf("\n");
		return;
	}
	printf("PID:        %d (%s)\n", (int)p->pid, p->comm);
	if (p->ns_errnum)
		printf("NETNS:      ? (reading /proc/%d/ns/net was denied: %s)\n", (int)p->pid,
		       strerror(p->ns_errnum));
	else
		printf("NETNS:      %s (inode %lu)\n", nsname, (unsigned long)p->ino);
	if (p->pod) {
		printf("POD:        %s/%s\n", p->pod->namespace_ ? p->pod->namespace_ : "?",
		       p->pod->name ? p->pod->name : "?");
		printf("SOURCE:     %s\n", inv_source_str(p->pod->source));
		if (p->pod->sandbox_id)
			printf("SANDBOX:    %s\n", p->pod->sandbox_id);
		if (p->pod->uid)
			printf("POD UID:    %s\n", p->pod->uid);
	} else {
		printf("POD:        -\n");
	}
	if (p->is_pause)
		printf("CONTAINER:  (pause)\n");
	else if (p->ctr)
		printf("CONTAINER:  %s %s\n", p->ctr->name ? p->ctr->name : "-", p->ctr->id);
	else if (p->cg.container_id[0])
		printf("CONTAINER:  - %s\n", p->cg.container_id);
	else
		printf("CONTAINER:  -\n");
	printf("VIA:        %s\n", p->via_netns && p->via_cgroup ? "netns, cgroup"
			       : p->via_netns ? "netns" : p->via_cgroup ? "cgroup" : "-");
}

/* pid2pod PID and netns identify [PID], their arguments parsed by the caller:
 * @cmd names the command in usage errors. */
static int pid_cmd(const char *cmd, char **args, size_t nargs, const char *output,
		   bool identify_only)
{
	struct inventory *inv = NULL;
	struct pn_err err = { 0 };
	struct inv_pid info;
	struct podrt rt;
	bool rt_open = false, json = false;
	const char *arg = nargs ? args[0] : NULL;
	pid_t pid;
	int rc = 1;

	if (cmd_no_args(cmd, &(struct flag_args){ .v = args, .n = nargs }, 1) < 0)
		return 1;
	if (output && strcmp(output, "json")) {
		cmd_errorf("unknown output format \"%s\": use json", output);
		return 1;
	}
	json = output != NULL;
	/* `ip netns identify` without a PID means the caller itself. */
	if (!arg && !identify_only) {
		cmd_errorf("PID required");
		return 1;
	}
	if (!arg)
		pid = getpid();
	else if (parse_pid(arg, &pid) < 0)
		return 1;
	if (snapshot(&rt, &rt_open, true, &inv) < 0)
		goto out;
	if (inventory_pid_lookup(inv, pid, &info, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	/* Say what was denied rather than guess: without its namespace and
	 * with a cgroup that names no pod, nothing can be told. */
	if (info.ns_errnum && !info.pod) {
		cmd_errorf("process %d (%s): reading its network namespace (/proc/%d/ns/net) was denied: "
			   "%s%s, and its cgroup names no pod", (int)pid, info.comm, (int)pid,
			   strerror(info.ns_errnum),
			   geteuid() ? " (another user's process: run as root)"
				     : " (no ptrace access to it: another user namespace or a security module)");
		goto out;
	}
	if (json)
		rc = print_json(inventory_pid_to_json(inv, &info));
	else {
		print_pid(&info, identify_only);
		rc = 0;
	}
out:
	snapshot_end(&rt, rt_open, inv);
	pn_err_free(&err);
	return rc;
}

int cmd_netns(int argc, char **argv)
{
	struct inventory *inv = NULL;
	const char *fmt = NULL;
	struct flag flags[] = {
		FLAG_DEF("output", 'o', FLAG_STRING, &fmt),
		FLAG_END,
	};
	struct flag_args a = { 0 };
	struct podrt rt;
	bool rt_open = false;
	int rc = 1;

	if (cmd_flags(flags, argc, argv, &a) < 0)
		return 1;
	if (a.n && !strcmp(a.v[0], "identify")) {
		rc = pid_cmd("netns", a.v + 1, a.n - 1, fmt, true);
		goto out_args;
	}
	for (size_t i = 0; i < a.n; i++)
		if (strcmp(a.v[i], "list") && strcmp(a.v[i], "ls")) {
			/* cobra's words for a subcommand it does not have. */
			cmd_usage_errorf("netns", "unknown command \"%s\" for \"podnet netns\"", a.v[i]);
			goto out_args;
		}
	if (fmt && strcmp(fmt, "wide") && strcmp(fmt, "json")) {
		cmd_errorf("unknown output format \"%s\": use wide or json", fmt);
		goto out_args;
	}
	if (snapshot(&rt, &rt_open, false, &inv) < 0)
		goto out;
	if (fmt && !strcmp(fmt, "json"))
		rc = print_json(inventory_to_json(inv));
	else
		rc = netns_table(inv, fmt != NULL);
out:
	snapshot_end(&rt, rt_open, inv);
out_args:
	flag_args_free(&a);
	return rc;
}

int cmd_pid2pod(int argc, char **argv)
{
	const char *output = NULL;
	struct flag flags[] = {
		FLAG_DEF("output", 'o', FLAG_STRING, &output),
		FLAG_END,
	};
	struct flag_args a = { 0 };
	int rc = 1;

	if (cmd_flags(flags, argc, argv, &a) == 0)
		rc = pid_cmd("pid2pod", a.v, a.n, output, false);
	flag_args_free(&a);
	return rc;
}

/* Pipe @dot through `dot -Tsvg` to stdout. */
static int run_dot(const char *dot)
{
	struct pn_proc_result r = { 0 };
	struct pn_err err = { 0 };
	char how[32];
	int rc = 1;

	/* dot writes to our fd 1: what stdio holds must be out first. */
	fflush(stdout);
	if (pn_run(&(struct pn_spawn){ .path = "dot",
				       .argv = (char *const[]){ "dot", "-Tsvg", NULL },
				       .in = PN_STDIO_PIPE, .in_data = dot, .in_len = strlen(dot),
				       .out = PN_STDIO_INHERIT, .err = PN_STDIO_INHERIT,
				       .code = PN_E_DELEGATE },
		   &r, &err) < 0)
		cmd_errorf("%s: %s", pn_err_msg(&err), strerror(err.errnum));
	else if (!pn_proc_ok(&r))
		cmd_errorf("dot -Tsvg failed (%s)", pn_wait_status_str(r.status, how, sizeof(how)));
	else
		rc = 0;
	pn_proc_result_free(&r);
	pn_err_free(&err);
	return rc;
}

static bool have_dot(void)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL;
	bool found = false;

	if (!path || !(copy = strdup(path)))
		return false;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char p[4096];

		snprintf(p, sizeof(p), "%s/dot", *d ? d : ".");
		found = access(p, X_OK) == 0;
	}
	free(copy);
	return found;
}

int cmd_graph(int argc, char **argv)
{
	struct inventory *inv = NULL;
	struct pn_err err = { 0 };
	const char *fmt = "text";
	struct flag flags[] = {
		FLAG_DEF("output", 'o', FLAG_STRING, &fmt),
		FLAG_END,
	};
	struct flag_args a = { 0 };
	char *out = NULL;
	struct podrt rt;
	bool rt_open = false;
	int rc = 1;

	if (cmd_flags(flags, argc, argv, &a) < 0)
		return 1;
	rc = cmd_no_args("graph", &a, 0) < 0;
	flag_args_free(&a);
	if (rc)
		return 1;
	rc = 1;
	if (strcmp(fmt, "text") && strcmp(fmt, "dot") && strcmp(fmt, "svg")) {
		cmd_errorf("unknown output format \"%s\": use text, dot or svg", fmt);
		return 1;
	}
	/* Fail before the snapshot: nothing to draw with. */
	if (!strcmp(fmt, "svg") && !have_dot()) {
		cmd_errorf("-o svg needs Graphviz's `dot`, not found in PATH: install the graphviz "
			   "package (apt-get install graphviz), or use -o dot and render elsewhere");
		return 1;
	}
	if (snapshot(&rt, &rt_open, false, &inv) < 0)
		goto out;
	if (inventory_graph(inv, !strcmp(fmt, "text") ? INV_GRAPH_TEXT : INV_GRAPH_DOT, &out,
			    &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	if (!strcmp(fmt, "svg"))
		rc = run_dot(out);
	else
		rc = fputs(out, stdout) < 0;
out:
	free(out);
	snapshot_end(&rt, rt_open, inv);
	pn_err_free(&err);
	return rc;
}
