/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_PORTFWD_H
#define PODNET_PORTFWD_H

/*
 * pods/portforward as kubelet serves it (pkg/kubelet/cri/streaming/
 * portforward): one upgraded connection carries SPDY/3.1 streams; for each
 * local connection kubectl opens two, an error stream and a data stream,
 * with the headers streamtype (error|data), port and requestid pairing
 * them.  Once both are there the port is dialled in the pod's network
 * namespace (localhost:PORT, 127.0.0.1 then ::1, as containerd does) and
 * the data stream relays bytes both ways; a failure is written as text on
 * the error stream, which kubectl prints.
 *
 * The connection is either a WebSocket whose binary messages carry the
 * SPDY bytes (subprotocol SPDY/3.1+portforward.k8s.io, what kubectl 1.30+
 * asks first: kube-apiserver's streamtunnel.go) or the HTTP/1.1 upgrade to
 * SPDY/3.1 that older clients (and kubectl's fallback) ask for.
 */

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

enum portfwd_transport { PORTFWD_NONE = 0, PORTFWD_WEBSOCKET, PORTFWD_SPDY };

/* Check the upgrade @req asks for and set @resp to the 101 answer (kind
 * HTTP_RESP_UPGRADE; the caller fills in the session), or to the 400
 * Status and return PORTFWD_NONE. */
enum portfwd_transport portfwd_handshake(const struct http_req *req, struct http_resp *resp);

/*
 * Serve the streams on @fd (already upgraded; @extra: bytes read past the
 * request) until the client closes or @stopping becomes non-zero.  @pod_id
 * names the pod in error messages (its sandbox id, as kubelet's CRI
 * server does); @netns_path is its network namespace, NULL for a pod on
 * the host's network.  @client_fd: the client's TCP socket under TLS
 * (-1: unknown), watched for its hang-up only.  Closes every socket it
 * opened; not @fd.
 */
void portfwd_run(int fd, const char *extra, size_t extra_len, enum portfwd_transport t,
		 const char *pod_id, const char *netns_path, int client_fd,
		 volatile int *stopping);

#endif
