/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Destructors and accessors of the shared pod model (pod.h).  Every
 * destructor accepts NULL and half-built structs, so a parser can bail
 * out at any point and free what it has.
 */
#include "pod.h"

#include <stdlib.h>
#include <string.h>

void pn_kvs_free(struct pn_kvs *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->n; i++) {
		free(k->items[i].key);
		free(k->items[i].value);
	}
	free(k->items);
	k->items = NULL;
	k->n = 0;
}

const char *pn_kvs_get(const struct pn_kvs *k, const char *key)
{
	size_t i;

	if (!k || !key)
		return NULL;
	for (i = 0; i < k->n; i++)
		if (k->items[i].key && strcmp(k->items[i].key, key) == 0)
			return k->items[i].value;
	return NULL;
}

void pn_meta_free(struct pn_meta *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->namespace_);
	free(m->uid);
	pn_kvs_free(&m->labels);
	pn_kvs_free(&m->annotations);
	memset(m, 0, sizeof(*m));
}

static void strv_free(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

void pn_probe_clear(struct pn_probe *p)
{
	size_t i;

	if (!p)
		return;
	strv_free(p->command);
	free(p->path);
	free(p->host);
	free(p->scheme);
	for (i = 0; i < p->n_headers; i++) {
		free(p->headers[i].name);
		free(p->headers[i].value);
	}
	free(p->headers);
	free(p->port_name);
	free(p->grpc_service);
	memset(p, 0, sizeof(*p));
}

void pn_container_spec_free(struct pn_container_spec *c)
{
	size_t i;

	if (!c)
		return;
	free(c->name);
	free(c->image);
	strv_free(c->command);
	strv_free(c->args);
	free(c->working_dir);
	for (i = 0; i < c->n_env; i++) {
		free(c->env[i].name);
		free(c->env[i].value);
	}
	free(c->env);
	for (i = 0; i < c->n_ports; i++) {
		free(c->ports[i].name);
		free(c->ports[i].protocol);
	}
	free(c->ports);
	pn_probe_clear(&c->liveness);
	pn_probe_clear(&c->readiness);
	pn_probe_clear(&c->startup);
	memset(c, 0, sizeof(*c));
}

void pn_pod_free(struct pn_pod *p)
{
	size_t i;

	if (!p)
		return;
	pn_meta_free(&p->meta);
	for (i = 0; i < p->spec.n_containers; i++)
		pn_container_spec_free(&p->spec.containers[i]);
	free(p->spec.containers);
	free(p->spec.hostname);
	pn_kvs_free(&p->spec.node_selector);
	free(p);
}

void pn_namespace_free(struct pn_namespace *ns)
{
	if (!ns)
		return;
	pn_meta_free(&ns->meta);
	free(ns);
}

const char *pn_restart_policy_str(enum pn_restart_policy r)
{
	switch (r) {
	case PN_RESTART_ALWAYS:
		return "Always";
	case PN_RESTART_ON_FAILURE:
		return "OnFailure";
	case PN_RESTART_NEVER:
		return "Never";
	}
	return "Always";
}

const char *pn_pull_policy_str(enum pn_pull_policy p)
{
	switch (p) {
	case PN_PULL_ALWAYS:
		return "Always";
	case PN_PULL_IF_NOT_PRESENT:
		return "IfNotPresent";
	case PN_PULL_NEVER:
		return "Never";
	case PN_PULL_DEFAULT:
		break;
	}
	return "";
}
