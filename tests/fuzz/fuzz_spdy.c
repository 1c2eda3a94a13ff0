/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the SPDY/3.1 bytes a port-forward client sends
 * podnetd.  The input is read as one connection's stream, frame after
 * frame through one zlib context, as portfwd.c reads it: each frame must
 * parse within the bytes given, or ask for more, or be refused with a
 * message; a refused header block breaks the context for good.  Every
 * header block that parses is written again with a fresh context and must
 * read back the same (names, values with their NULs).  Nothing may crash,
 * leak or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spdy.h"

static void round_trip(const struct spdy_frame *f)
{
	struct spdy_codec tx, rx;
	struct pn_buf b = { 0 };
	struct spdy_frame g;
	struct pn_err err = { 0 };
	ssize_t n;

	spdy_codec_init(&tx);
	spdy_codec_init(&rx);
	if (spdy_put_syn_reply(&tx, &b, f->stream_id ? f->stream_id : 1, f->flags, f->headers,
			       f->n_headers) == 0) {
		n = spdy_parse(&rx, (const uint8_t *)b.s, b.len, &g, &err);
		/* The inflated block may be past the limit only if the
		 * original one was too, which it was not. */
		if (n != (ssize_t)b.len || g.n_headers != f->n_headers)
			abort();
		for (size_t i = 0; i < g.n_headers; i++)
			if (strcmp(g.headers[i].name, f->headers[i].name) ||
			    g.headers[i].value_len != f->headers[i].value_len ||
			    memcmp(g.headers[i].value, f->headers[i].value, g.headers[i].value_len))
				abort();
		spdy_frame_clear(&g);
	}
	pn_err_free(&err);
	free(b.s);
	spdy_codec_free(&tx);
	spdy_codec_free(&rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spdy_codec c;
	size_t off = 0;

	spdy_codec_init(&c);
	while (off < size) {
		struct spdy_frame f;
		struct pn_err err = { 0 };
		ssize_t n = spdy_parse(&c, data + off, size - off, &f, &err);

		if (n < 0) {
			if (!pn_err_msg(&err) || !*pn_err_msg(&err))
				abort();
			pn_err_free(&err);
			break;
		}
		if (n == 0)
			break;
		if ((size_t)n > size - off)
			abort();
		if (f.type == SPDY_DATA && (f.data < data + off || f.data + f.len > data + off + n))
			abort();
		if (f.n_headers)
			round_trip(&f);
		spdy_frame_clear(&f);
		off += (size_t)n;
	}
	spdy_codec_free(&c);
	return 0;
}
