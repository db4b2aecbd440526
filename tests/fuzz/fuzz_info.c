// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the info daemon's decoder and view. The input is a
 * datagram whose tag counts as verified (the last 32 bytes). Besides crashes
 * and sanitizer reports it checks that:
 *  - a refused datagram names a drop reason from the decoder's set;
 *  - an accepted one encodes back to exactly the same bytes;
 *  - merging it into a populated view keeps the view's invariants (bounded,
 *    no duplicate PE, never this node, every held entry valid);
 *  - what the view sends next always encodes and decodes again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mosix_info.h"

#define SELF	7

static struct mosix_map map;

static struct mosix_info_entry mk(u16 pe, u8 status, u32 age)
{
	struct mosix_info_entry e = {
		.pe = pe, .status = status, .age_ms = age, .load = 2000,
		.cpus = 2, .util = 500, .speed = 3000, .epoch = 10 + pe,
		.mem_kb = 1 << 20, .free_kb = 1 << 19,
	};
	return e;
}

static void check_view(const struct mosix_info_view *v)
{
	u32 i, j;

	if (v->nr > v->window)
		abort();
	for (i = 0; i < v->nr; i++) {
		const struct mosix_info_entry *e = &v->slot[i].e;

		if (e->pe == SELF || !e->pe || !e->epoch || e->age_ms ||
		    e->status < MOSIX_INFO_STATUS_UP ||
		    e->status > MOSIX_INFO_STATUS_DOWN || e->free_kb > e->mem_kb)
			abort();
		for (j = 0; j < i; j++)
			if (v->slot[j].e.pe == e->pe)
				abort();
	}
}

/* what the view sends next must be a valid datagram */
static void check_send(const struct mosix_info_view *v, s64 now)
{
	static struct mosix_info_entry out[MOSIX_INFO_ENTRIES_MAX], back[MOSIX_INFO_ENTRIES_MAX];
	static u8 buf[MOSIX_INFO_DGRAM_MAX];
	struct mosix_info_msg_hdr h, h2;
	enum mosix_info_drop why;
	int n, len;

	n = mosix_info_view_pick_window(v, now, out, v->window + 1);
	if (n < 1 || (unsigned int)n > v->window + 1)
		abort();
	mosix_info_view_fill_hdr(v, 1, &h);
	len = mosix_info_encode(&h, out, (unsigned int)n, buf, sizeof(buf));
	if (len <= 0)
		abort();
	if (mosix_info_decode(buf, (size_t)len + MOSIX_INFO_TAG_LEN, &h2, back,
			      MOSIX_INFO_ENTRIES_MAX, &why) != n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mosix_info_entry e[MOSIX_INFO_ENTRIES_MAX], snap[MOSIX_INFO_ENTRIES_MAX + 1];
	static u8 buf[MOSIX_INFO_DGRAM_MAX];
	static const char text[] = "1 10.0.0.1 300\n1000 10.1.0.1 100\n";
	enum mosix_info_drop why = __MOSIX_INFO_DROP_MAX, pwhy = why;
	u32 sender = 0;
	struct mosix_info_entry self = mk(SELF, MOSIX_INFO_STATUS_UP, 0);
	struct mosix_info_msg_hdr h;
	struct mosix_info_view v;
	struct mosix_map_error err;
	s64 now = 100000;
	int n, len;
	u16 pe;

	if (!map.nr_nodes && mosix_map_parse(text, sizeof(text) - 1, &map, &err))
		abort();
	/* peek (before the tag) never accepts what decode's header checks refuse */
	if (mosix_info_peek(data, size, &sender, &pwhy)) {
		if (pwhy > MOSIX_INFO_DROP_BAD_COUNT ||
		    mosix_info_decode(data, size, &h, e, MOSIX_INFO_ENTRIES_MAX, &why) >= 0)
			abort();
		return 0;
	}
	n = mosix_info_decode(data, size, &h, e, MOSIX_INFO_ENTRIES_MAX, &why);
	if (n >= 0 && sender != h.sender_pe)
		abort();
	if (n < 0) {
		if (why < MOSIX_INFO_DROP_TRUNCATED || why > MOSIX_INFO_DROP_BAD_ORDER)
			abort();
		return 0;
	}
	if (why != __MOSIX_INFO_DROP_MAX || n > MOSIX_INFO_ENTRIES_MAX)
		abort();
	len = mosix_info_encode(&h, e, (unsigned int)n, buf, sizeof(buf));
	if (len < 0 || (size_t)len + MOSIX_INFO_TAG_LEN != size ||
	    memcmp(buf, data, (size_t)len))
		abort();

	/* a small view, half full of up, one leaving, one expired entry */
	if (mosix_info_view_init(&v, SELF, 8, 20000) ||
	    mosix_info_view_set_self(&v, &self))
		abort();
	for (pe = 1; pe <= 5; pe++) {
		struct mosix_info_entry x = mk(pe * 3, MOSIX_INFO_STATUS_UP, pe * 700U);

		mosix_info_view_merge(&v, &x, 1, NULL, now);
	}
	self = mk(1001, MOSIX_INFO_STATUS_LEAVING, 1500);
	mosix_info_view_merge(&v, &self, 1, NULL, now);
	self = mk(1002, MOSIX_INFO_STATUS_UP, 19000);
	mosix_info_view_merge(&v, &self, 1, NULL, now);
	check_view(&v);

	mosix_info_view_merge(&v, e, (unsigned int)n, (size & 1) ? &map : NULL, now);
	check_view(&v);
	check_send(&v, now);
	/* the same datagram 5 s later, from its sender directly: still sane */
	mosix_info_view_merge_direct(&v, e, (unsigned int)n, NULL, now + 5000);
	check_view(&v);
	check_send(&v, now + 30000);
	if (mosix_info_view_snapshot(&v, now, snap, MOSIX_INFO_ENTRIES_MAX + 1) != v.nr + 1)
		abort();
	if (h.type == MOSIX_INFO_TYPE_LEAVE && h.sender_pe != SELF &&
	    mosix_info_view_lookup(&v, h.sender_pe, now, &self) &&
	    self.epoch == h.epoch && self.status == MOSIX_INFO_STATUS_UP)
		abort();
	mosix_info_view_free(&v);
	return 0;
}
