/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The heap podnetd's watch cache holds: 500 pods, then CACHE_HISTORY
 * modifications, so the history ring is full of superseded versions (what
 * status churn does).  Prints the bytes in use (mallinfo2) after each step.
 * The pod is one podnetd served (kubectl get -o json, 1.6 KiB compact).
 *
 *   build/bench/cachemem
 */
#include <malloc.h>
#include <stdio.h>

#include "cache.h"

static const char pod_json[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{\"kubectl.kubernete"
	"s.io/last-applied-configuration\":\"{\\\"apiVersion\\\":\\\"v1\\\",\\\"kind\\\":\\\"Pod\\\""
	",\\\"metadata\\\":{\\\"annotations\\\":{},\\\"labels\\\":{\\\"app\\\":\\\"bench\\\"},\\\"n"
	"ame\\\":\\\"p1\\\",\\\"namespace\\\":\\\"default\\\"},\\\"spec\\\":{\\\"containers\\\":[{\\\""
	"command\\\":[\\\"sleep\\\",\\\"infinity\\\"],\\\"image\\\":\\\"host\\\",\\\"name\\\":\\\"m"
	"ain\\\"}]}}\\n\"},\"creationTimestamp\":\"2026-12-03T18:30:47Z\",\"generation\":1,\"labels"
	"\":{\"app\":\"bench\"},\"name\":\"p1\",\"namespace\":\"default\",\"resourceVersion\":\"10\""
	",\"uid\":\"6909aef8-6e7c-45a6-8208-0f6ee59f1f52\"},\"spec\":{\"containers\":[{\"command\":"
	"[\"sleep\",\"infinity\"],\"image\":\"host\",\"imagePullPolicy\":\"Always\",\"name\":\"main"
	"\"}],\"nodeName\":\"vm\",\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30"
	"},\"status\":{\"conditions\":[{\"lastProbeTime\":null,\"lastTransitionTime\":\"2026-12-03T"
	"18:30:47Z\",\"status\":\"True\",\"type\":\"Initialized\"},{\"lastProbeTime\":null,\"lastTr"
	"ansitionTime\":\"2026-12-03T18:30:47Z\",\"status\":\"True\",\"type\":\"Ready\"},{\"lastPro"
	"beTime\":null,\"lastTransitionTime\":\"2026-12-03T18:30:47Z\",\"status\":\"True\",\"type\""
	":\"ContainersReady\"},{\"lastProbeTime\":null,\"lastTransitionTime\":\"2026-12-03T18:30:47"
	"Z\",\"status\":\"True\",\"type\":\"PodScheduled\"}],\"containerStatuses\":[{\"containerID\""
	":\"podnet://2755918388a7a7853cc12c353acbe56e3bcac657468c13f3a0043c245f3f7ff5\",\"image\":\""
	"host\",\"imageID\":\"host\",\"lastState\":{},\"name\":\"main\",\"ready\":true,\"restartCou"
	"nt\":0,\"started\":true,\"state\":{\"running\":{\"startedAt\":\"2026-12-03T18:30:48Z\"}}}]"
	",\"hostIP\":\"192.0.2.10\",\"hostIPs\":[{\"ip\":\"192.0.2.10\"}],\"phase\":\"Running\",\"p"
	"odIP\":\"10.244.0.2\",\"podIPs\":[{\"ip\":\"10.244.0.2\"}],\"qosClass\":\"BestEffort\",\"s"
	"tartTime\":\"2026-12-03T18:30:48Z\"}}";

/* A copy of the pod named p<i> at @rv. */
static json_t *pod_at(json_t *pod, int i, uint64_t rv)
{
	json_t *o = json_deep_copy(pod), *meta = json_object_get(o, "metadata");
	char n[32], r[32];

	snprintf(n, sizeof(n), "p%d", i);
	snprintf(r, sizeof(r), "%llu", (unsigned long long)rv);
	json_object_set_new(meta, "name", json_string(n));
	json_object_set_new(meta, "resourceVersion", json_string(r));
	return o;
}

static double in_use_mb(size_t base)
{
	malloc_trim(0);
	return (double)(mallinfo2().uordblks - base) / (1024.0 * 1024.0);
}

int main(void)
{
	json_t *pod = json_loads(pod_json, 0, NULL);
	struct cache *c = NULL;
	uint64_t rv = 1;
	size_t base;
	double added;

	malloc_trim(0);
	base = mallinfo2().uordblks;
	if (!pod || cache_new(rv, &c) < 0)
		return 1;
	for (int i = 0; i < 500; i++, rv++)
		if (cache_apply(c, API_PODS, CACHE_ADDED, pod_at(pod, i, rv + 1), rv + 1) < 0)
			return 1;
	added = in_use_mb(base);
	for (int k = 0; k < CACHE_HISTORY; k++, rv++)
		if (cache_apply(c, API_PODS, CACHE_MODIFIED, pod_at(pod, k % 500, rv + 1), rv + 1) < 0)
			return 1;
	printf("watch cache: 500 pods %.1f MB; after %d modifications %.1f MB\n", added,
	       CACHE_HISTORY, in_use_mb(base));
	cache_free(c);
	json_decref(pod);
	return 0;
}
