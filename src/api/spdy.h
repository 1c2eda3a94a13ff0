/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_SPDY_H
#define PODNET_SPDY_H

/*
 * SPDY/3.1 framing (draft-mbelshe-httpbis-spdy-00 and the 3.1 changes),
 * the part kubectl's port-forward speaks: moby/spdystream on its side,
 * k8s.io/apimachinery's httpstream/spdy over it.
 *
 * Every frame starts with 8 bytes.  A control frame: bit 31 set, the
 * version (3) in bits 30..16, the type in 15..0; then flags (8 bits) and
 * the length of what follows (24 bits).  A data frame: bit 31 clear, the
 * stream id in 30..0; then flags and length the same way.  SYN_STREAM,
 * SYN_REPLY and HEADERS carry a name/value header block compressed with
 * zlib, one compression context per direction for the whole connection,
 * primed with the dictionary of the specification (section 2.6.10.1), each
 * block ended by a sync flush; both sides therefore parse every header
 * block in order, and a block that does not inflate ends the connection.
 *
 * spdystream does no flow control (it neither sends WINDOW_UPDATE nor
 * waits for one), so neither does this: WINDOW_UPDATE and SETTINGS are
 * parsed and ignored by the caller.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>

#include "buf.h"
#include "err.h"
#include "util.h"

#define SPDY_VERSION 3
#define SPDY_HEADER_LEN 8
#define SPDY_MAX_LEN 0xffffffu /* 24-bit length field */
/* A header block we inflate may grow to this; more is refused (a few
 * hundred compressed bytes can inflate to megabytes). */
#define SPDY_MAX_HEADER_BLOCK (64u * 1024)

enum spdy_type {
	SPDY_DATA = 0,
	SPDY_SYN_STREAM = 1,
	SPDY_SYN_REPLY = 2,
	SPDY_RST_STREAM = 3,
	SPDY_SETTINGS = 4,
	SPDY_PING = 6,
	SPDY_GOAWAY = 7,
	SPDY_HEADERS = 8,
	SPDY_WINDOW_UPDATE = 9,
	/* A control frame of a type not listed (NOOP, CREDENTIAL, ... and
	 * type 0): to be skipped.  Outside the 16-bit type field. */
	SPDY_UNKNOWN = 0x10000,
};

#define SPDY_FLAG_FIN 0x01
#define SPDY_FLAG_UNIDIRECTIONAL 0x02

/* RST_STREAM status codes (section 2.6.3). */
enum spdy_rst {
	SPDY_RST_PROTOCOL_ERROR = 1,
	SPDY_RST_INVALID_STREAM = 2,
	SPDY_RST_REFUSED_STREAM = 3,
	SPDY_RST_CANCEL = 5,
	SPDY_RST_INTERNAL_ERROR = 6,
	SPDY_RST_STREAM_IN_USE = 8,
	SPDY_RST_STREAM_ALREADY_CLOSED = 9,
};

/* GOAWAY status codes (section 2.6.6). */
enum spdy_goaway { SPDY_GOAWAY_OK = 0, SPDY_GOAWAY_PROTOCOL_ERROR = 1, SPDY_GOAWAY_INTERNAL = 2 };

/* One name/value pair; a value may hold several values separated by NUL
 * (section 2.6.10), hence its length. */
struct spdy_header {
	char *name;    /* lower case on the wire; NUL-terminated copy */
	char *value;   /* NUL-terminated copy */
	size_t value_len;
};

struct spdy_frame {
	enum spdy_type type;
	uint8_t flags;
	uint32_t stream_id;     /* data, SYN_*, RST, HEADERS, WINDOW_UPDATE */
	uint32_t assoc_id;      /* SYN_STREAM */
	uint8_t priority;       /* SYN_STREAM, 0..7 */
	uint32_t value;         /* RST/GOAWAY status, PING id, window delta,
				 * GOAWAY's last good stream id in stream_id */
	const uint8_t *data;    /* data frames: into the parsed buffer */
	size_t len;
	struct spdy_header *headers; /* SYN_STREAM, SYN_REPLY, HEADERS (heap) */
	size_t n_headers;
};

/* The two zlib contexts of one connection. */
struct spdy_codec {
	z_stream inflate, deflate;
	bool inflate_ready, deflate_ready;
	bool broken;            /* a header block failed: the connection is done */
};

/* The dictionary of section 2.6.10.1 (1423 bytes). */
const unsigned char *spdy_dictionary(size_t *len);

void spdy_codec_init(struct spdy_codec *c);
void spdy_codec_free(struct spdy_codec *c);

/*
 * Parse the frame at the start of @buf (@len bytes available).  Returns
 * the bytes it takes (> 0) with @f filled, 0 when the frame is not
 * complete yet, or -EPROTO (a malformed frame: the connection should end
 * with GOAWAY; @err says what), -EMSGSIZE (a header block that inflates
 * past SPDY_MAX_HEADER_BLOCK), -ENOMEM.  A control frame of an unknown
 * type comes back as SPDY_UNKNOWN, for the caller to skip (section 2.2.1).
 */
ssize_t spdy_parse(struct spdy_codec *c, const uint8_t *buf, size_t len, struct spdy_frame *f,
		   struct pn_err *err) PN_MUST_CHECK;
void spdy_frame_clear(struct spdy_frame *f);
/* The value of header @name (lower case), NULL when absent. */
const char *spdy_header_get(const struct spdy_frame *f, const char *name);

/* Append frames to @out (check out->failed once at the end). */
void spdy_put_data(struct pn_buf *out, uint32_t stream_id, uint8_t flags, const void *data,
		   size_t len);
void spdy_put_rst(struct pn_buf *out, uint32_t stream_id, enum spdy_rst status);
void spdy_put_ping(struct pn_buf *out, uint32_t id);
void spdy_put_goaway(struct pn_buf *out, uint32_t last_good, enum spdy_goaway status);
void spdy_put_window_update(struct pn_buf *out, uint32_t stream_id, uint32_t delta);
/* SYN_STREAM (the client's; used by the tests), SYN_REPLY and HEADERS
 * carry a compressed block: 0 or -ENOMEM/-EIO. */
int spdy_put_syn_stream(struct spdy_codec *c, struct pn_buf *out, uint32_t stream_id,
			uint8_t flags, const struct spdy_header *h, size_t n) PN_MUST_CHECK;
int spdy_put_syn_reply(struct spdy_codec *c, struct pn_buf *out, uint32_t stream_id,
		       uint8_t flags, const struct spdy_header *h, size_t n) PN_MUST_CHECK;

#endif
