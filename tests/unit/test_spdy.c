/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SPDY/3.1 framing as kubectl's port-forward uses it: the dictionary
 * (its Adler-32 is the one every SPDY/3 zlib stream names), two SYN_STREAM
 * frames of the shape kubectl sends (compressed independently of this
 * code, in one zlib context as spdystream does), round trips of every
 * frame podnetd writes, partial input, and malformed frames refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "spdy.h"
#include "tap.h"

/* An error stream and a data stream for request 0, port 80, compressed
 * with zlib level 9 and the SPDY/3 dictionary in one stream, each block
 * ended by a sync flush (made with Python's zlib, not with spdy.c). */
static const char syn_error[] =
	"\x80\x03\x00\x01\x00\x00\x00\x3c\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x78\xf9\xe3\xc6"
	"\xa7\xc2\x02\x25\x3a\x48\xf9\x5b\x04\x4a\xab\x4c\x16\x06\x40\x92\xb3\x08\x12\x5b\x99\xa0"
	"\x54\xcc\x68\x00\x4e\x87\x25\x45\xa9\x89\xb9\xd0\xa2\x86\x35\x15\x14\x11\x00\x00\x00\x00"
	"\xff\xff";
static const char syn_data[] = "\x80\x03\x00\x01\x00\x00\x00\x16\x00\x00\x00\x03\x00\x00\x00\x00"
			       "\x00\x00\x22\x4b\x2b\xa8\x94\x4a\x04\x00\x00\x00\xff\xff";

static ssize_t parse(struct spdy_codec *c, const void *b, size_t n, struct spdy_frame *f,
		     struct pn_err *err)
{
	return spdy_parse(c, (const uint8_t *)b, n, f, err);
}

static void test_dictionary(void)
{
	size_t n;
	const unsigned char *d = spdy_dictionary(&n);

	ok(n == 1423, "the dictionary is 1423 bytes (%zu)", n);
	ok(adler32(adler32(0, NULL, 0), d, (uInt)n) == 0xe3c6a7c2u,
	       "its Adler-32 is e3c6a7c2, the id in every SPDY/3 zlib header");
	ok(!memcmp(d, "\0\0\0\x07options", 11) && !memcmp(d + n - 6, "enq=0.", 6),
	       "it starts with options and ends with enq=0.");
}

static void test_kubectl_frames(void)
{
	struct spdy_codec c;
	struct spdy_frame f;
	struct pn_err err = { 0 };
	ssize_t r;

	spdy_codec_init(&c);
	r = parse(&c, syn_error, sizeof(syn_error) - 1, &f, &err);
	ok(r == (ssize_t)sizeof(syn_error) - 1, "SYN_STREAM 1 parses whole (%zd)", r);
	ok(f.type == SPDY_SYN_STREAM && f.stream_id == 1 && f.n_headers == 3,
	       "stream 1, three headers");
	ok(!strcmp(spdy_header_get(&f, "streamtype") ?: "", "error") &&
		       !strcmp(spdy_header_get(&f, "port") ?: "", "80") &&
		       !strcmp(spdy_header_get(&f, "requestid") ?: "", "0"),
	       "streamtype error, port 80, requestid 0");
	spdy_frame_clear(&f);
	/* The second block is compressed against the first: it inflates only
	 * in the same context. */
	r = parse(&c, syn_data, sizeof(syn_data) - 1, &f, &err);
	ok(r == (ssize_t)sizeof(syn_data) - 1 && f.stream_id == 3 &&
		       !strcmp(spdy_header_get(&f, "streamtype") ?: "", "data") &&
		       !strcmp(spdy_header_get(&f, "port") ?: "", "80"),
	       "SYN_STREAM 3 (data) inflates in the same context");
	spdy_frame_clear(&f);
	spdy_codec_free(&c);

	/* Out of order (a fresh context for the second block) it cannot. */
	spdy_codec_init(&c);
	r = parse(&c, syn_data, sizeof(syn_data) - 1, &f, &err);
	ok(r == -EPROTO, "the second block alone is refused (%zd: %s)", r, pn_err_msg(&err));
	pn_err_free(&err);
	r = parse(&c, syn_error, sizeof(syn_error) - 1, &f, &err);
	ok(r == -EPROTO && strstr(pn_err_msg(&err), "earlier header block"),
	       "and the context stays broken: %s", pn_err_msg(&err));
	pn_err_free(&err);
	spdy_codec_free(&c);
}

static void test_partial(void)
{
	struct spdy_codec c;
	struct spdy_frame f;
	struct pn_err err = { 0 };
	bool all_zero = true;

	spdy_codec_init(&c);
	for (size_t n = 0; n < sizeof(syn_error) - 1; n++)
		if (parse(&c, syn_error, n, &f, &err) != 0)
			all_zero = false;
	ok(all_zero, "every prefix of a frame asks for more bytes, and inflates nothing");
	ok(parse(&c, syn_error, sizeof(syn_error) - 1, &f, &err) > 0,
	       "then the whole frame parses");
	spdy_frame_clear(&f);
	spdy_codec_free(&c);
}

static void test_round_trip(void)
{
	struct spdy_codec tx, rx, cl;
	struct pn_buf b = { 0 };
	struct spdy_frame f;
	struct pn_err err = { 0 };
	struct spdy_header h[2] = { { "port", "8080", 4 }, { "x", "a\0b", 3 } };
	size_t off = 0;
	ssize_t r;
	char big[70000];

	spdy_codec_init(&tx);
	spdy_codec_init(&rx);
	spdy_codec_init(&cl);
	memset(big, 'z', sizeof(big));
	ok(spdy_put_syn_reply(&tx, &b, 5, 0, NULL, 0) == 0, "SYN_REPLY with no headers");
	ok(spdy_put_syn_reply(&tx, &b, 7, SPDY_FLAG_FIN, h, 2) == 0, "SYN_REPLY with two");
	spdy_put_data(&b, 5, 0, "hello", 5);
	spdy_put_data(&b, 5, SPDY_FLAG_FIN, NULL, 0);
	spdy_put_data(&b, 9, 0, big, sizeof(big));
	spdy_put_rst(&b, 7, SPDY_RST_CANCEL);
	spdy_put_ping(&b, 0x80000001u);
	spdy_put_window_update(&b, 5, 65536);
	spdy_put_goaway(&b, 9, SPDY_GOAWAY_OK);
	ok(!b.failed, "all frames written (%zu bytes)", b.len);

#define NEXT() (spdy_frame_clear(&f), r = parse(&rx, b.s + off, b.len - off, &f, &err), \
		off += r > 0 ? (size_t)r : 0, r)
	f = (struct spdy_frame){ 0 };
	ok(NEXT() > 0 && f.type == SPDY_SYN_REPLY && f.stream_id == 5 && f.n_headers == 0 &&
		       f.flags == 0,
	       "SYN_REPLY 5, no headers");
	ok(NEXT() > 0 && f.type == SPDY_SYN_REPLY && f.stream_id == 7 &&
		       f.flags == SPDY_FLAG_FIN && f.n_headers == 2 &&
		       !strcmp(spdy_header_get(&f, "port"), "8080") && f.headers[1].value_len == 3 &&
		       !memcmp(f.headers[1].value, "a\0b", 3),
	       "SYN_REPLY 7 FIN, a value holding two values");
	ok(NEXT() == 13 && f.type == SPDY_DATA && f.stream_id == 5 && f.len == 5 &&
		       !memcmp(f.data, "hello", 5) && f.flags == 0,
	       "data on 5");
	ok(NEXT() == 8 && f.type == SPDY_DATA && f.len == 0 && f.flags == SPDY_FLAG_FIN,
	       "an empty FIN");
	ok(NEXT() == 8 + (ssize_t)sizeof(big) && f.len == sizeof(big) && f.data[69999] == 'z',
	       "70000 bytes of data in one frame");
	ok(NEXT() > 0 && f.type == SPDY_RST_STREAM && f.stream_id == 7 &&
		       f.value == SPDY_RST_CANCEL,
	       "RST_STREAM 7 CANCEL");
	ok(NEXT() > 0 && f.type == SPDY_PING && f.value == 0x80000001u, "PING keeps its id");
	ok(NEXT() > 0 && f.type == SPDY_WINDOW_UPDATE && f.stream_id == 5 &&
		       f.value == 65536,
	       "WINDOW_UPDATE");
	ok(NEXT() > 0 && f.type == SPDY_GOAWAY && f.stream_id == 9 && f.value == 0, "GOAWAY");
	ok(NEXT() == 0 && off == b.len, "nothing left");
	spdy_frame_clear(&f);

	/* A client's SYN_STREAM, as the tests' client writes it. */
	pn_buf_reset(&b);
	off = 0;
	spdy_codec_free(&rx);
	spdy_codec_init(&rx);
	ok(spdy_put_syn_stream(&cl, &b, 1, 0, h, 1) == 0 && NEXT() > 0 &&
		       f.type == SPDY_SYN_STREAM && f.stream_id == 1 &&
		       !strcmp(spdy_header_get(&f, "port"), "8080"),
	       "SYN_STREAM round trip (fresh contexts on both sides)");
	spdy_frame_clear(&f);
#undef NEXT
	free(b.s);
	spdy_codec_free(&tx);
	spdy_codec_free(&rx);
	spdy_codec_free(&cl);
}

/* A control frame of @type with @body as given. */
static size_t control(unsigned char *out, unsigned version, unsigned type, unsigned flags,
		      const void *body, size_t len)
{
	out[0] = (unsigned char)(0x80 | version >> 8);
	out[1] = (unsigned char)version;
	out[2] = (unsigned char)(type >> 8);
	out[3] = (unsigned char)type;
	out[4] = (unsigned char)flags;
	out[5] = (unsigned char)(len >> 16);
	out[6] = (unsigned char)(len >> 8);
	out[7] = (unsigned char)len;
	memcpy(out + 8, body, len);
	return 8 + len;
}

static void refused(const char *what, const unsigned char *b, size_t n, const char *msg)
{
	struct spdy_codec c;
	struct spdy_frame f;
	struct pn_err err = { 0 };
	ssize_t r;

	spdy_codec_init(&c);
	r = spdy_parse(&c, b, n, &f, &err);
	ok(r == -EPROTO && strstr(pn_err_msg(&err), msg), "%s refused: %s", what,
	       pn_err_msg(&err));
	ok(f.n_headers == 0 && f.headers == NULL, "%s: nothing left allocated", what);
	pn_err_free(&err);
	spdy_codec_free(&c);
}

/* A SYN_STREAM whose block is @plain compressed properly. */
static size_t syn_with(unsigned char *out, const void *plain, size_t plen)
{
	size_t dl;
	const unsigned char *d = spdy_dictionary(&dl);
	unsigned char body[4096] = { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	z_stream z = { 0 };

	deflateInit(&z, 9);
	deflateSetDictionary(&z, d, (uInt)dl);
	z.next_in = (Bytef *)plain;
	z.avail_in = (uInt)plen;
	z.next_out = body + 10;
	z.avail_out = sizeof(body) - 10;
	deflate(&z, Z_SYNC_FLUSH);
	deflateEnd(&z);
	return control(out, 3, SPDY_SYN_STREAM, 0, body, sizeof(body) - 10 - z.avail_out + 10);
}

static void test_malformed(void)
{
	unsigned char b[8192];
	size_t n;

	n = control(b, 2, SPDY_PING, 0, "\0\0\0\1", 4);
	refused("SPDY/2", b, n, "version 2, not 3");
	n = control(b, 3, SPDY_PING, 0, "\0\0\0\1\0", 5);
	refused("a 5-byte PING", b, n, "PING frame of 5 bytes");
	n = control(b, 3, SPDY_RST_STREAM, 0, "\0\0\0\0\0\0\0\5", 8);
	refused("RST_STREAM for stream 0", b, n, "RST_STREAM frame for stream 0");
	n = control(b, 3, SPDY_SYN_STREAM, 0, "\0\0\0\1\0\0\0\0\0", 9);
	refused("a 9-byte SYN_STREAM", b, n, "SYN_STREAM frame of 9 bytes");
	n = control(b, 3, SPDY_SETTINGS, 0, "\0\0\0\2\0\0\0\1\0\0\0\1", 12);
	refused("SETTINGS claiming 2 entries in 1", b, n, "2 entries in 12 bytes");
	memcpy(b, "\0\0\0\0\0\0\0\0", 8);
	refused("data on stream 0", b, 8, "data frame on stream 0");
	n = control(b, 3, SPDY_SYN_STREAM, 0, "\0\0\0\1\0\0\0\0\0\0garbage!", 18);
	refused("a block that is not zlib", b, n, "does not inflate");
	n = syn_with(b, "\0\0\0\1\0\0\0\4Port\0\0\0\0", 16);
	refused("an upper-case name", b, n, "Port is not lower case");
	n = syn_with(b, "\0\0\1\0\0\0\0\4port\0\0\0\0", 16);
	refused("256 pairs in 16 bytes", b, n, "claims 256 pairs");
	n = syn_with(b, "\0\0\0\1\0\0\0\4port\0\0\0\x09" "80", 18);
	refused("a value longer than the block", b, n, "truncated");
	n = syn_with(b, "\0\0\0\1\0\0\0\0\0\0\0\0", 12);
	refused("an empty name", b, n, "empty name");
	/* Found by fuzz_spdy: a name "\0p" read as "" and written back empty. */
	n = syn_with(b, "\0\0\0\1\0\0\0\2\0p\0\0\0\0", 14);
	refused("a name holding a NUL", b, n, "header name holds a NUL byte");
	n = syn_with(b, "\0\0\0\0xx", 6);
	refused("bytes after the last pair", b, n, "2 bytes after the last header");
	{
		/* A zip bomb: 1 MiB of zeros inflates past the limit. */
		static unsigned char zeros[1 << 20];
		struct spdy_codec c;
		struct spdy_frame f;
		struct pn_err err = { 0 };
		ssize_t r;

		zeros[3] = 1;
		n = syn_with(b, zeros, sizeof(zeros));
		spdy_codec_init(&c);
		r = spdy_parse(&c, b, n, &f, &err);
		ok(r == -EMSGSIZE && strstr(pn_err_msg(&err), "inflates past 65536"),
		       "a %zu-byte block inflating to 1 MiB is refused: %s", n, pn_err_msg(&err));
		pn_err_free(&err);
		spdy_codec_free(&c);
	}
	{
		/* An unknown control type is skipped whole (section 2.2.1). */
		struct spdy_codec c;
		struct spdy_frame f;
		struct pn_err err = { 0 };

		n = control(b, 3, 0x55, 0, "abc", 3);
		spdy_codec_init(&c);
		ok(spdy_parse(&c, b, n, &f, &err) == (ssize_t)n && f.type == SPDY_UNKNOWN,
		       "an unknown control frame is passed over");
		/* Type 0 is no frame of SPDY/3 either: not to be taken for data. */
		n = control(b, 3, 0, 0, "", 0);
		ok(spdy_parse(&c, b, n, &f, &err) == 8 && f.type == SPDY_UNKNOWN && !f.data,
		   "a control frame of type 0 is unknown, not data");
		spdy_codec_free(&c);
	}
}

int main(void)
{
	test_dictionary();
	test_kubectl_frames();
	test_partial();
	test_round_trip();
	test_malformed();
	return tap_done();
}
