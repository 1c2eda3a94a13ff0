/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnetd: this node's Kubernetes API (a kube-apiserver subset over HTTPS
 * with client certificates) and its node agent (the kubelet's part: pods
 * created through the API run on the same runtime as `podnet apply`).
 * See podnetd(8).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "log.h"
#include "node.h"
#include "pki.h"
#include "server.h"

static const char usage[] =
	"Usage: podnetd [OPTIONS]\n"
	"\n"
	"Serve this node's Kubernetes API on HTTPS and run the pods it is given.\n"
	"\n"
	"Options:\n"
	"  --listen ADDR:PORT     where to listen (default 127.0.0.1:6443)\n"
	"  --pki-dir DIR          certificates and keys (default /etc/podnet/pki)\n"
	"  --kubeconfig-out PATH  the admin kubeconfig to write (default /etc/podnet/admin.conf;\n"
	"                         \"\" writes none)\n"
	"  --server-url URL       the server address written into the kubeconfig\n"
	"                         (default https://<listen address>)\n"
	"  --node-name NAME       this node's name (default: the host name)\n"
	"  --node-ip IP           this node's address (default: the address of the\n"
	"                         default route's interface)\n"
	"  -v, --v N              log verbosity: 0 warnings, 1 lifecycle, 2 every request,\n"
	"                         4 debug (default 1)\n"
	"  -h, --help             this text\n"
	"      --version          the version\n"
	"\n"
	"Environment: PODNET_ROOT, PODNET_CNI_CONF_DIR, CNI_PATH, PODNET_CNI_CACHE_DIR,\n"
	"PODNET_NETNS_DIR, PODNET_RUNTIME as for podnet(1); PODNET_PKI_DIR and\n"
	"PODNET_KUBECONFIG as defaults for --pki-dir and --kubeconfig-out.\n";

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "pki-dir", required_argument, NULL, 'p' },
		{ "kubeconfig-out", required_argument, NULL, 'k' },
		{ "server-url", required_argument, NULL, 's' },
		{ "node-name", required_argument, NULL, 'n' },
		{ "node-ip", required_argument, NULL, 'i' },
		{ "v", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = "127.0.0.1:6443", *pki_dir = env_or("PODNET_PKI_DIR", PKI_DEFAULT_DIR);
	const char *kubeconfig = env_or("PODNET_KUBECONFIG", PKI_DEFAULT_KUBECONFIG);
	const char *server_url = NULL, *node_name = NULL, *node_ip = NULL;
	char host[HOST_NAME_MAX + 1] = "", url[300];
	struct api a = { 0 };
	struct node_opts no = { 0 };
	struct pki pki = { 0 };
	struct pki_opts po = { 0 };
	struct server_opts so = { 0 };
	struct server *srv = NULL;
	struct pn_err err = { 0 };
	sigset_t sigs;
	int c, verbosity = 1, sig = 0, rc = 1;
	const char *ips[3] = { NULL, NULL, NULL };

	while ((c = getopt_long(argc, argv, "v:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'p': pki_dir = optarg; break;
		case 'k': kubeconfig = optarg; break;
		case 's': server_url = optarg; break;
		case 'n': node_name = optarg; break;
		case 'i': node_ip = optarg; break;
		case 'v': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > 10) {
				fprintf(stderr, "podnetd: -v %s: want a level 0..10\n", optarg);
				return 2;
			}
			verbosity = (int)v;
			break;
		}
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("podnetd %s\n", API_GIT_VERSION); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "podnetd: unexpected argument %s\n%s", argv[optind], usage);
		return 2;
	}
	/* The library logs through PODNET_LOG; -v sets it unless the
	 * environment asks for more. */
	if (!getenv("PODNET_LOG") || !*getenv("PODNET_LOG"))
		setenv("PODNET_LOG", verbosity >= 4 ? "debug" : (verbosity >= 1 ? "info" : "warn"), 1);
	a.verbosity = verbosity;

	if (!node_name) {
		gethostname(host, sizeof(host) - 1);
		node_name = host;
	}
	a.node_name = node_name;
	{
		struct sockaddr_storage ss;
		socklen_t sl;
		char addr[128];
		const char *colon = strrchr(listen, ':');

		if (server_parse_listen(listen, &ss, &sl, &err) < 0) {
			fprintf(stderr, "podnetd: %s\n", pn_err_msg(&err));
			return 2;
		}
		snprintf(addr, sizeof(addr), "%.*s", (int)(colon - listen), listen);
		if (!server_url) {
			/* A wildcard address is reached on the loopback. */
			const char *h = !addr[0] || !strcmp(addr, "0.0.0.0") ? "127.0.0.1"
					: (!strcmp(addr, "[::]") ? "[::1]" : addr);

			snprintf(url, sizeof(url), "https://%s:%s", h, colon + 1);
			server_url = url;
		}
		if (addr[0] == '[') {
			memmove(addr, addr + 1, strlen(addr));
			addr[strlen(addr) - 1] = '\0';
		}
		if (addr[0])
			ips[0] = strdup(addr);
	}

	/*
	 * One malloc arena per core, not glibc's eight per core: every
	 * connection has a thread (libmicrohttpd's thread-per-connection) and
	 * each arena keeps the peak of what its threads built (a 500-pod list
	 * is half a megabyte); the lock contention this adds is small next to
	 * TLS.
	 */
	mallopt(M_ARENA_MAX, 2);

	/* Signals are taken by sigwait() below; every thread inherits the
	 * mask. SIGPIPE: a client that hangs up is an error return, not a
	 * death. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (listcache_new(&a.lists) < 0) {
		fprintf(stderr, "podnetd: out of memory\n");
		goto out;
	}
	no.node_name = node_name;
	no.node_ip = node_ip;
	if (node_start(&a, &no, &err) < 0) {
		fprintf(stderr, "podnetd: %s\n", pn_err_msg(&err));
		goto out;
	}
	ips[1] = node_address(&a);
	po.dir = pki_dir;
	po.kubeconfig = *kubeconfig ? kubeconfig : NULL;
	po.server_url = server_url;
	po.node_name = node_name;
	po.ips = ips;
	if (pki_ensure(&po, &pki, &err) < 0) {
		fprintf(stderr, "podnetd: %s\n", pn_err_msg(&err));
		goto out;
	}
	so.listen = listen;
	so.cert_pem = pki.cert_pem;
	so.key_pem = pki.key_pem;
	so.trust_pem = pki.ca_pem;
	so.handler = api_handle;
	so.ctx = &a;
	if (server_start(&so, &srv, &err) < 0) {
		fprintf(stderr, "podnetd: %s\n", pn_err_msg(&err));
		goto out;
	}
	pn_log(PN_LOG_INFO, "serving the Kubernetes API on https://%s (node %s); kubeconfig %s",
	       listen, node_name, po.kubeconfig ? po.kubeconfig : "(none)");
	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP)
			continue;
		break;
	}
	pn_log(PN_LOG_INFO, "%s: stopping (pods keep running)", strsignal(sig));
	rc = 0;
out:
	a.stopping = 1;
	if (a.cache)
		cache_shutdown(a.cache);
	server_stop(srv);
	node_stop(&a);
	/* after the server: its responses hold references */
	listcache_free(a.lists);
	pki_free(&pki);
	pn_err_free(&err);
	free((char *)ips[0]);
	return rc;
}
