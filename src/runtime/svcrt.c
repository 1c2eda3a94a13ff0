/* SPDX-License-Identifier: Apache-2.0 */
/* Services in the state store, with the API server's allocators (svcrt.h). */
#include "svcrt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "manifest.h"

int svcrt_config(struct svcrt_cfg *cfg, struct pn_err *err)
{
	const char *c = getenv("PODNET_SERVICE_CIDR"), *r = getenv("PODNET_NODEPORT_RANGE");
	struct pn_cidr net;
	int lo, hi, end = 0;

	if (!c || !*c)
		c = PN_SVC_CIDR_DEFAULT;
	if (pn_cidr_parse(c, &cfg->cidr) < 0 || cfg->cidr.ip.family != AF_INET ||
	    cfg->cidr.prefix > 30 || cfg->cidr.prefix < 8)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL,
				"PODNET_SERVICE_CIDR=%s: want an IPv4 CIDR from /8 to /30", c);
	pn_cidr_network(&cfg->cidr, &net);
	cfg->cidr = net;
	cfg->np_min = PN_SVC_NODEPORT_MIN;
	cfg->np_max = PN_SVC_NODEPORT_MAX;
	if (r && *r) {
		if (sscanf(r, "%d-%d%n", &lo, &hi, &end) != 2 || r[end] || lo < 1 || hi > 65535 ||
		    lo > hi)
			return pn_error(err, PN_E_BAD_REQUEST, EINVAL,
					"PODNET_NODEPORT_RANGE=%s: want FIRST-LAST within 1-65535", r);
		cfg->np_min = lo;
		cfg->np_max = hi;
	}
	return 0;
}

/* "The Service "x" is invalid: <field>: Invalid value: <bad>: <detail>", one cause. */
static int svc_invalid(struct pn_err *err, const char *name, const char *field, const char *bad,
		       const char *detail)
{
	int ret = pn_error(err, PN_E_INVALID, EINVAL, "The Service \"%s\" is invalid: %s: Invalid value: %s: %s",
			   name, field, bad, detail);

	if (pn_err_cause(err, "FieldValueInvalid", field, "Invalid value: %s: %s", bad, detail) < 0)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	return ret;
}

static int ip_invalid(struct pn_err *err, const struct pn_service *svc, const char *ip, const char *why)
{
	char bad[96], detail[256];

	snprintf(bad, sizeof(bad), "[]string{\"%s\"}", ip);
	snprintf(detail, sizeof(detail), "failed to allocate IP %s: %s", ip, why);
	return svc_invalid(err, svc->meta.name, "spec.clusterIPs", bad, detail);
}

static int port_invalid(struct pn_err *err, const struct pn_service *svc, size_t i, const char *why)
{
	char field[64], bad[16];

	snprintf(field, sizeof(field), "spec.ports[%zu].nodePort", i);
	snprintf(bad, sizeof(bad), "%d", svc->ports[i].node_port);
	return svc_invalid(err, svc->meta.name, field, bad, why);
}

static uint32_t rand32(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint32_t)random();
	return v;
}

/* kube's static band: min(max(16, size/step), cap) offsets at the bottom. */
static uint32_t static_band(uint32_t size, uint32_t step, uint32_t cap)
{
	uint32_t b = size / step < 16 ? 16 : size / step;

	b = b > cap ? cap : b;
	return b >= size ? 0 : b;
}

/* Usable addresses of the CIDR: offsets 1 .. size-2 (not network, not broadcast). */
static uint32_t cidr_first(const struct svcrt_cfg *cfg)
{
	return ntohl(cfg->cidr.ip.v4.s_addr) + 1;
}

static uint32_t cidr_count(const struct svcrt_cfg *cfg)
{
	return (uint32_t)((1ull << (32 - cfg->cidr.prefix)) - 2);
}

static void ip_fmt(uint32_t host, char out[PN_IP_STRLEN])
{
	struct in_addr a = { .s_addr = htonl(host) };

	inet_ntop(AF_INET, &a, out, PN_IP_STRLEN);
}

/*
 * A requested address is inserted as is (the UNIQUE key says whether it is
 * free); a dynamic one is drawn from the upper band, retried on a taken
 * one, then searched for in order.
 */
static int insert_with_ip(struct store *st, const struct svcrt_cfg *cfg, struct pn_service *svc,
			  struct store_service *row, struct pn_err *err)
{
	uint32_t count = cidr_count(cfg), band = static_band(count, 16, 256), off;
	char ip[PN_IP_STRLEN];
	struct pn_ip req;
	int ret;

	if (svc->type == PN_SVC_EXTERNAL_NAME || pn_service_headless(svc)) {
		row->cluster_ip = NULL;
		return store_service_insert(st, row, err);
	}
	if (svc->cluster_ip && *svc->cluster_ip) {
		if (pn_ip_parse(svc->cluster_ip, &req) < 0 || !pn_cidr_contains(&cfg->cidr, &req) ||
		    req.family != AF_INET ||
		    ntohl(req.v4.s_addr) < cidr_first(cfg) ||
		    ntohl(req.v4.s_addr) >= cidr_first(cfg) + count) {
			char why[128], net[PN_CIDR_STRLEN];

			snprintf(why, sizeof(why),
				 "provided IP is not in the valid range. The range of valid IPs is %s",
				 pn_cidr_str(&cfg->cidr, net));
			return ip_invalid(err, svc, svc->cluster_ip, why);
		}
		row->cluster_ip = svc->cluster_ip;
		ret = store_service_insert(st, row, err);
		row->cluster_ip = NULL;
		if (ret == -EADDRINUSE)
			return ip_invalid(err, svc, svc->cluster_ip, "provided IP is already allocated");
		return ret;
	}
	for (uint32_t tries = 0; tries < 64 + count; tries++) {
		if (tries < 64)
			off = band + rand32() % (count - band);
		else
			off = (tries - 64 + band) % count; /* a full walk, upper band first */
		ip_fmt(cidr_first(cfg) + off, ip);
		row->cluster_ip = ip;
		ret = store_service_insert(st, row, err);
		row->cluster_ip = NULL;
		if (ret != -EADDRINUSE) {
			if (ret == 0) {
				free(svc->cluster_ip);
				svc->cluster_ip = strdup(ip);
				if (!svc->cluster_ip)
					return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			}
			return ret;
		}
		pn_err_free(err);
	}
	return pn_error(err, PN_E_INVALID, ENOSPC,
			"Internal error occurred: failed to allocate a serviceIP: range is full");
}

static int claim_node_ports(struct store *st, const struct svcrt_cfg *cfg, struct pn_service *svc,
			    const char *uid, struct pn_err *err)
{
	uint32_t count = (uint32_t)(cfg->np_max - cfg->np_min + 1);
	uint32_t band = static_band(count, 32, 128);
	int ret;

	if (svc->type != PN_SVC_NODE_PORT)
		return 0;
	for (size_t i = 0; i < svc->n_ports; i++) {
		struct pn_svc_port *p = &svc->ports[i];

		if (p->node_port) {
			if (p->node_port < cfg->np_min || p->node_port > cfg->np_max) {
				char why[128];

				snprintf(why, sizeof(why),
					 "provided port is not in the valid range. The range of valid ports is %d-%d",
					 cfg->np_min, cfg->np_max);
				return port_invalid(err, svc, i, why);
			}
			ret = store_node_port_claim(st, uid, p->protocol, p->node_port, err);
			if (ret == -EADDRINUSE) {
				pn_err_free(err);
				return port_invalid(err, svc, i, "provided port is already allocated");
			}
			if (ret)
				return ret;
			continue;
		}
		/* Two ports of one Service with the same number (TCP and UDP
		 * 53) share a node port, as the API server gives them. */
		for (size_t j = 0; j < i; j++)
			if (svc->ports[j].port == p->port && svc->ports[j].node_port) {
				ret = store_node_port_claim(st, uid, p->protocol, svc->ports[j].node_port, NULL);
				if (ret == 0)
					p->node_port = svc->ports[j].node_port;
				break;
			}
		for (uint32_t tries = 0; !p->node_port && tries < 64 + count; tries++) {
			uint32_t off = tries < 64 ? band + rand32() % (count - band)
						  : (tries - 64 + band) % count;

			ret = store_node_port_claim(st, uid, p->protocol, cfg->np_min + (int)off, err);
			if (ret == 0)
				p->node_port = cfg->np_min + (int)off;
			else if (ret != -EADDRINUSE)
				return ret;
			else
				pn_err_free(err);
		}
		if (!p->node_port)
			return pn_error(err, PN_E_INVALID, ENOSPC,
					"Internal error occurred: failed to allocate a nodePort: range is full");
	}
	return 0;
}

/* The API server keeps allocated values an update leaves out (patchAllocatedValues). */
static int keep_allocated(struct pn_service *svc, const struct pn_service *old, struct pn_err *err)
{
	if (svc->type != PN_SVC_EXTERNAL_NAME && old->cluster_ip) {
		if (!svc->cluster_ip || !*svc->cluster_ip) {
			free(svc->cluster_ip);
			svc->cluster_ip = strdup(old->cluster_ip);
			if (!svc->cluster_ip)
				return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		} else if (strcmp(svc->cluster_ip, old->cluster_ip) != 0) {
			char bad[96];

			snprintf(bad, sizeof(bad), "[]string{\"%s\"}", svc->cluster_ip);
			return svc_invalid(err, svc->meta.name, "spec.clusterIPs[0]", bad,
					   "may not change once set");
		}
	}
	if (svc->type != PN_SVC_NODE_PORT || old->type != PN_SVC_NODE_PORT)
		return 0;
	for (size_t i = 0; i < svc->n_ports; i++) {
		struct pn_svc_port *p = &svc->ports[i];

		for (size_t j = 0; !p->node_port && j < old->n_ports; j++) {
			const struct pn_svc_port *q = &old->ports[j];

			if (q->port == p->port && q->protocol && p->protocol &&
			    !strcmp(q->protocol, p->protocol))
				p->node_port = q->node_port;
		}
	}
	return 0;
}

static int spec_text(const struct pn_service *svc, const struct podrt_write *w, char **out,
		     struct pn_err *err)
{
	json_t *j = service_to_json(svc);

	/* The metadata the API keeps with the object (managedFields...). */
	if (j && w && json_is_object(w->meta))
		json_object_update(json_object_get(j, "metadata"), w->meta);

	*out = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!*out)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	return 0;
}

static int apply_locked(struct store *st, const struct svcrt_cfg *cfg, struct pn_service *svc,
			const struct podrt_write *w, enum svcrt_outcome *outcome, char **stored,
			struct pn_err *err)
{
	enum podrt_write_mode mode = w ? w->mode : PODRT_WRITE_ANY;
	struct store_service *row = NULL, fresh = { 0 };
	struct pn_service *old = NULL;
	char *text = NULL, *uid = NULL;
	json_t *j = NULL;
	int ret;

	ret = store_service_get(st, svc->meta.namespace_, svc->meta.name, &row, NULL);
	if (ret == 0 && mode == PODRT_WRITE_CREATE) {
		ret = pn_error(err, PN_E_ALREADY_EXISTS, EEXIST, "services \"%s\" already exists",
			       svc->meta.name);
		goto out;
	}
	if (ret == 0 && w && w->expect_rv && w->expect_rv != row->rv) {
		ret = pn_error(err, PN_E_CONFLICT, ESTALE,
			       "Operation cannot be fulfilled on services \"%s\": the object has been "
			       "modified; please apply your changes to the latest version and try "
			       "again", svc->meta.name);
		goto out;
	}
	if (ret < 0 && mode == PODRT_WRITE_UPDATE) {
		ret = pn_error(err, PN_E_NOT_FOUND, ENOENT, "services \"%s\" not found",
			       svc->meta.name);
		goto out;
	}
	if (ret == 0) {
		j = json_loads(row->spec_json, 0, NULL);
		ret = j ? service_from_json(j, &old, err)
			: pn_error(err, PN_E_STATE, EIO, "stored service %s is not JSON", row->name);
		if (ret)
			goto out;
		free(svc->meta.uid);
		svc->meta.uid = strdup(row->uid);
		svc->meta.creation = old->meta.creation;
		if (!svc->meta.uid) {
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
		{
			bool old_ip = old->cluster_ip && !pn_service_headless(old);
			bool new_ip = svc->type != PN_SVC_EXTERNAL_NAME && !pn_service_headless(svc);

			/* ExternalName <-> an addressed type: the API server
			 * allocates or releases; podnet asks for a re-create. */
			if (old_ip != new_ip && (old->type == PN_SVC_EXTERNAL_NAME ||
						 svc->type == PN_SVC_EXTERNAL_NAME)) {
				ret = pn_error(err, PN_E_INVALID, EINVAL,
					       "The Service \"%s\" is invalid: spec.type: Forbidden: podnet "
					       "does not change a Service to or from ExternalName; delete "
					       "and re-create it", svc->meta.name);
				goto out;
			}
		}
		ret = keep_allocated(svc, old, err);
		if (ret)
			goto out;
		ret = store_node_ports_release(st, row->uid, err);
		if (!ret)
			ret = claim_node_ports(st, cfg, svc, row->uid, err);
		if (!ret)
			ret = spec_text(svc, w, &text, err);
		if (ret)
			goto out;
		if (!strcmp(text, row->spec_json)) {
			*outcome = SVCRT_UNCHANGED;
			if (stored) {
				*stored = text;
				text = NULL;
			}
			goto out;
		}
		free(row->spec_json);
		row->spec_json = text;
		text = NULL;
		ret = store_service_update_spec(st, row, err);
		if (!ret)
			*outcome = SVCRT_CONFIGURED;
		if (!ret && stored) {
			*stored = row->spec_json;
			row->spec_json = NULL;
		}
		goto out;
	}

	/* New: uid first (the node ports name it), then the row with its
	 * address, then the node ports, then the final spec. */
	{
		char u[STORE_UUID_LEN + 1];

		if (store_new_uuid(u) < 0) {
			ret = pn_error(err, PN_E_KERNEL, EIO, "generate uid");
			goto out;
		}
		uid = strdup(u);
	}
	if (!uid) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	free(svc->meta.uid);
	svc->meta.uid = strdup(uid);
	svc->meta.creation = time(NULL);
	ret = spec_text(svc, w, &text, err);
	if (ret)
		goto out;
	fresh.uid = uid;
	fresh.namespace_ = svc->meta.namespace_;
	fresh.name = svc->meta.name;
	fresh.spec_json = text;
	ret = insert_with_ip(st, cfg, svc, &fresh, err);
	if (!ret)
		ret = claim_node_ports(st, cfg, svc, uid, err);
	free(text);
	text = NULL;
	if (!ret)
		ret = spec_text(svc, w, &text, err);
	if (!ret) {
		fresh.spec_json = text;
		ret = store_service_update_spec(st, &fresh, err);
	}
	fresh.created_ns = 0;
	if (!ret)
		*outcome = SVCRT_CREATED;
	if (!ret && stored) {
		*stored = text;
		text = NULL;
	}
out:
	free(text);
	free(uid);
	json_decref(j);
	pn_service_free(old);
	store_service_free(row);
	return ret;
}

int svcrt_apply(struct store *st, const struct svcrt_cfg *cfg, struct pn_service *svc,
		enum svcrt_outcome *outcome, struct pn_err *err)
{
	return svcrt_write(st, cfg, svc, NULL, outcome, NULL, err);
}

int svcrt_write(struct store *st, const struct svcrt_cfg *cfg, struct pn_service *svc,
		const struct podrt_write *w, enum svcrt_outcome *outcome, json_t **out,
		struct pn_err *err)
{
	bool own = !store_in_transaction(st);
	bool dry = w && w->dry_run;
	char *text = NULL;
	int ret;

	if (out)
		*out = NULL;
	if (own && (ret = store_begin(st, err)) < 0)
		return ret;
	/* In a batch, a refused Service leaves no half row behind it. */
	if (!own && (ret = store_savepoint(st, err)) < 0)
		return ret;
	ret = apply_locked(st, cfg, svc, w, outcome, out ? &text : NULL, err);
	/* A dry run is the whole write (allocations too), undone. */
	if (own) {
		if (ret || dry)
			store_rollback(st);
		else
			ret = store_commit(st, err);
	} else if (ret || dry) {
		store_savepoint_rollback(st);
	} else {
		ret = store_savepoint_release(st, err);
	}
	if (ret == 0 && out && text) {
		*out = json_loads(text, 0, NULL);
		if (!*out)
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	free(text);
	return ret;
}

static int decode_row(const struct store_service *row, struct pn_service **out, struct pn_err *err)
{
	json_t *j = json_loads(row->spec_json, 0, NULL);
	int ret;

	if (!j)
		return pn_error(err, PN_E_STATE, EIO, "stored service %s/%s is not JSON", row->namespace_,
				row->name);
	ret = service_from_json(j, out, err);
	json_decref(j);
	return ret;
}

int svcrt_list(struct store *st, const char *namespace_, struct pn_service ***out, size_t *n,
	       struct pn_err *err)
{
	struct store_service *rows = NULL;
	struct pn_service **a = NULL;
	size_t nr = 0, i;
	int ret;

	*out = NULL;
	*n = 0;
	ret = store_service_list(st, namespace_, &rows, &nr, err);
	if (ret)
		return ret;
	a = calloc(nr ? nr : 1, sizeof(*a));
	if (!a) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nr; i++) {
		ret = decode_row(&rows[i], &a[i], err);
		if (ret) {
			svcrt_array_free(a, i);
			goto out;
		}
	}
	*out = a;
	*n = nr;
out:
	store_service_array_free(rows, nr);
	return ret;
}

int svcrt_get(struct store *st, const char *namespace_, const char *name, struct pn_service **out,
	      struct pn_err *err)
{
	struct store_service *row = NULL;
	int ret;

	*out = NULL;
	ret = store_service_get(st, namespace_, name, &row, err);
	if (ret)
		return ret;
	ret = decode_row(row, out, err);
	store_service_free(row);
	return ret;
}

void svcrt_array_free(struct pn_service **a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++)
		pn_service_free(a[i]);
	free(a);
}

int svcrt_delete(struct store *st, const char *namespace_, const char *name, struct pn_err *err)
{
	struct store_service *row = NULL;
	int ret;

	ret = store_service_get(st, namespace_, name, &row, err);
	if (ret)
		return ret;
	ret = store_service_delete(st, row->uid, err);
	store_service_free(row);
	return ret;
}
