// SPDX-License-Identifier: GPL-2.0
/*
 * Info daemon logic shared by the module, the unit tests, the fuzzer and the
 * simulator: the wire codec (format in include/uapi/linux/mosix.h), the
 * replay rule, the bounded view of the cluster and the choice of a peer.
 *
 * The view follows MOSIX (Barak 2001): every node keeps its own entry and a
 * small window of the newest entries it heard about others; every tick it
 * sends its own entry and its window to one random peer. A receiver keeps,
 * per PE, the newer of what it holds and what it hears, and, when full,
 * evicts the oldest entry for a newer one. Leave notices ride the same
 * gossip; leaving/down entries are protected while fresh so that a notice
 * reaches every node (see tests/sim for the measurements).
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#define info_alloc_array(n, size)	kvcalloc(n, size, GFP_KERNEL)
#define info_free(p)			kvfree(p)
#else
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#define info_alloc_array(n, size)	calloc(n, size)
#define info_free(p)			free(p)
#endif

#include "mosix_info.h"
#include "mosix_be.h"

#define AGE_CLAMP	0xffffffffU

static const char * const drop_names[__MOSIX_INFO_DROP_MAX] = {
	[MOSIX_INFO_DROP_BAD_TAG]		= "bad_tag",
	[MOSIX_INFO_DROP_TRUNCATED]		= "truncated",
	[MOSIX_INFO_DROP_OVERSIZED]		= "oversized",
	[MOSIX_INFO_DROP_BAD_MAGIC]		= "bad_magic",
	[MOSIX_INFO_DROP_BAD_VERSION]		= "bad_version",
	[MOSIX_INFO_DROP_BAD_TYPE]		= "bad_type",
	[MOSIX_INFO_DROP_BAD_COUNT]		= "bad_count",
	[MOSIX_INFO_DROP_BAD_FIELD]		= "bad_field",
	[MOSIX_INFO_DROP_BAD_SENDER]		= "bad_sender",
	[MOSIX_INFO_DROP_BAD_ORDER]		= "bad_order",
	[MOSIX_INFO_DROP_UNKNOWN_PE]		= "unknown_pe",
	[MOSIX_INFO_DROP_SPOOFED_SOURCE]	= "spoofed_source",
	[MOSIX_INFO_DROP_REPLAY]		= "replay",
	[MOSIX_INFO_DROP_RATELIMITED]		= "ratelimited",
	[MOSIX_INFO_DROP_EPOCH_AHEAD]		= "epoch_ahead",
};

const char *mosix_info_drop_name(unsigned int why)
{
	if (why >= __MOSIX_INFO_DROP_MAX)
		return "unknown";
	return drop_names[why];
}

/* counters of enum mosix_stat below MOSIX_STAT_DROP_BASE, by name */
static const char *const stat_names[MOSIX_STAT_DROP_BASE] = {
	[MOSIX_STAT_TICKS]		= "ticks",
	[MOSIX_STAT_TX_PACKETS]		= "tx_packets",
	[MOSIX_STAT_TX_BYTES]		= "tx_bytes",
	[MOSIX_STAT_TX_ERRORS]		= "tx_errors",
	[MOSIX_STAT_RX_ACCEPTED]	= "rx_accepted",
	[MOSIX_STAT_RX_BYTES]		= "rx_bytes",
	[MOSIX_STAT_LEAVE_SENT]		= "leave_sent",
	[MOSIX_STAT_RELAY_REFUSED]	= "relay_refused",
	[MOSIX_STAT_MIG_TX]		= "mig_tx",
	[MOSIX_STAT_MIG_RX]		= "mig_rx",
	[MOSIX_STAT_MIG_DROP_PEER]	= "mig_drop_peer",
	[MOSIX_STAT_MIG_DROP_NONCE]	= "mig_drop_nonce",
	[MOSIX_STAT_MIG_DROP_STATE]	= "mig_drop_state",
	[MOSIX_STAT_MIG_DROP_UNKNOWN]	= "mig_drop_unknown",
	[MOSIX_STAT_MIG_DROP_QUEUE]	= "mig_drop_queue",
	[MOSIX_STAT_MIG_STARTED]	= "mig_started",
	[MOSIX_STAT_MIG_MOVED]		= "mig_moved",
	[MOSIX_STAT_MIG_STAYED]		= "mig_stayed",
	[MOSIX_STAT_MIG_REFUSED]	= "mig_refused",
	[MOSIX_STAT_MIG_ARRIVED]	= "mig_arrived",
};

const char *mosix_info_stat_name(unsigned int stat)
{
	return stat < MOSIX_STAT_DROP_BASE ? stat_names[stat] : NULL;
}

int mosix_info_precheck(size_t len, enum mosix_info_drop *why)
{
	if (len < MOSIX_INFO_DGRAM_MIN)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_TRUNCATED, -EMSGSIZE);
	if (len > MOSIX_INFO_DGRAM_MAX)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_OVERSIZED, -EMSGSIZE);
	return 0;
}

static bool type_ok(u8 type)
{
	return type == MOSIX_INFO_TYPE_INFO || type == MOSIX_INFO_TYPE_LEAVE;
}

/* every field value in range (the reserved byte is the decoder's) */
static bool entry_ok(const struct mosix_info_entry *e)
{
	return e->pe >= 1 &&
	       e->status >= MOSIX_INFO_STATUS_UP &&
	       e->status <= MOSIX_INFO_STATUS_DOWN &&
	       e->age_ms <= MOSIX_INFO_AGE_MAX_MS &&
	       e->load <= MOSIX_INFO_LOAD_MAX &&
	       e->cpus >= 1 && e->cpus <= MOSIX_INFO_CPUS_MAX &&
	       e->util <= MOSIX_INFO_UTIL_MAX &&
	       e->speed >= 1 && e->speed <= MOSIX_INFO_SPEED_MAX &&
	       e->epoch >= 1 &&
	       e->mem_kb >= 1 && e->mem_kb <= MOSIX_INFO_MEM_MAX_KB &&
	       e->free_kb <= e->mem_kb;
}

int mosix_info_validate(const struct mosix_info_msg_hdr *h,
			const struct mosix_info_entry *e, unsigned int n,
			enum mosix_info_drop *why)
{
	u8 own = h->type == MOSIX_INFO_TYPE_LEAVE ?
		 MOSIX_INFO_STATUS_LEAVING : MOSIX_INFO_STATUS_UP;
	unsigned int i;

	if (!type_ok(h->type))
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_TYPE, -EPROTO);
	if (!n || n > MOSIX_INFO_ENTRIES_MAX)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_COUNT, -E2BIG);
	if (!h->sender_pe || !h->epoch || !h->seq)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_FIELD, -ERANGE);
	for (i = 0; i < n; i++)
		if (!entry_ok(&e[i]))
			return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_FIELD, -ERANGE);
	if (e[0].pe != h->sender_pe || e[0].age_ms || e[0].epoch != h->epoch ||
	    e[0].status != own)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_SENDER, -EINVAL);
	for (i = 1; i < n; i++)
		if (e[i].pe == h->sender_pe || (i > 1 && e[i].pe <= e[i - 1].pe))
			return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_ORDER, -EINVAL);
	return 0;
}

static size_t msg_len(unsigned int n)
{
	return MOSIX_INFO_HDR_LEN + (size_t)n * MOSIX_INFO_ENTRY_LEN;
}

static void put_entry(u8 *p, const struct mosix_info_entry *e)
{
	put_be16(p, e->pe);
	p[2] = e->status;
	p[3] = 0;
	put_be32(p + 4, e->age_ms);
	put_be32(p + 8, e->load);
	put_be16(p + 12, e->cpus);
	put_be16(p + 14, e->util);
	put_be32(p + 16, e->speed);
	put_be64(p + 20, e->epoch);
	put_be64(p + 28, e->mem_kb);
	put_be64(p + 36, e->free_kb);
}

static void get_entry(const u8 *p, struct mosix_info_entry *e)
{
	e->pe = get_be16(p);
	e->status = p[2];
	e->age_ms = get_be32(p + 4);
	e->load = get_be32(p + 8);
	e->cpus = get_be16(p + 12);
	e->util = get_be16(p + 14);
	e->speed = get_be32(p + 16);
	e->epoch = get_be64(p + 20);
	e->mem_kb = get_be64(p + 28);
	e->free_kb = get_be64(p + 36);
}

int mosix_info_encode(const struct mosix_info_msg_hdr *h,
		      const struct mosix_info_entry *e, unsigned int n,
		      u8 *buf, size_t size)
{
	enum mosix_info_drop why;
	unsigned int i;
	size_t len;

	if (mosix_info_validate(h, e, n, &why))
		return -EINVAL;
	len = msg_len(n);
	if (size < len + MOSIX_INFO_TAG_LEN)
		return -EMSGSIZE;
	buf[0] = MOSIX_INFO_MAGIC0;
	buf[1] = MOSIX_INFO_MAGIC1;
	buf[2] = MOSIX_INFO_VERSION;
	buf[3] = h->type;
	put_be16(buf + 4, h->sender_pe);
	put_be16(buf + 6, (u16)n);
	put_be64(buf + 8, h->epoch);
	put_be64(buf + 16, h->seq);
	for (i = 0; i < n; i++)
		put_entry(buf + msg_len(i), &e[i]);
	return (int)len;
}

int mosix_info_peek(const u8 *buf, size_t len, u32 *sender_pe,
		    enum mosix_info_drop *why)
{
	unsigned int n;
	size_t need;
	int err;

	err = mosix_info_precheck(len, why);
	if (err)
		return err;
	if (buf[0] != MOSIX_INFO_MAGIC0 || buf[1] != MOSIX_INFO_MAGIC1)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_MAGIC, -EPROTO);
	if (buf[2] != MOSIX_INFO_VERSION)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_VERSION, -EPROTONOSUPPORT);
	if (!type_ok(buf[3]))
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_TYPE, -EPROTO);
	n = get_be16(buf + 6);
	if (!n || n > MOSIX_INFO_ENTRIES_MAX)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_COUNT, -E2BIG);
	need = msg_len(n) + MOSIX_INFO_TAG_LEN;
	if (len < need)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_TRUNCATED, -EMSGSIZE);
	if (len > need)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_OVERSIZED, -EMSGSIZE);
	*sender_pe = get_be16(buf + 4);
	return 0;
}

int mosix_info_decode(const u8 *buf, size_t len, struct mosix_info_msg_hdr *h,
		      struct mosix_info_entry *e, unsigned int max,
		      enum mosix_info_drop *why)
{
	unsigned int n, i;
	size_t need;
	int err;

	err = mosix_info_precheck(len, why);
	if (err)
		return err;
	if (buf[0] != MOSIX_INFO_MAGIC0 || buf[1] != MOSIX_INFO_MAGIC1)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_MAGIC, -EPROTO);
	if (buf[2] != MOSIX_INFO_VERSION)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_VERSION, -EPROTONOSUPPORT);
	if (!type_ok(buf[3]))
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_TYPE, -EPROTO);
	n = get_be16(buf + 6);
	if (!n || n > MOSIX_INFO_ENTRIES_MAX || n > max)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_COUNT, -E2BIG);
	need = msg_len(n) + MOSIX_INFO_TAG_LEN;
	if (len < need)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_TRUNCATED, -EMSGSIZE);
	if (len > need)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_OVERSIZED, -EMSGSIZE);

	h->type = buf[3];
	h->sender_pe = get_be16(buf + 4);
	h->epoch = get_be64(buf + 8);
	h->seq = get_be64(buf + 16);
	for (i = 0; i < n; i++) {
		const u8 *p = buf + msg_len(i);

		if (p[3])
			return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_FIELD, -ERANGE);
		get_entry(p, &e[i]);
	}
	err = mosix_info_validate(h, e, n, why);
	return err ? err : (int)n;
}

int mosix_info_check_sender(const struct mosix_map *map, u32 self_pe,
			    u32 sender_pe, const struct mosix_addr *src,
			    enum mosix_info_drop *why)
{
	if (!mosix_map_find_pe(map, sender_pe))
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_UNKNOWN_PE, -ENOENT);
	if (sender_pe == self_pe || mosix_map_find_addr(map, src) != sender_pe)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_SPOOFED_SOURCE, -EPERM);
	return 0;
}

bool mosix_info_replay_ok(struct mosix_info_replay *st, u64 epoch, u64 seq)
{
	if (epoch < st->epoch || (epoch == st->epoch && seq <= st->seq))
		return false;
	st->epoch = epoch;
	st->seq = seq;
	return true;
}

/* ---- the view ---- */

int mosix_info_view_init(struct mosix_info_view *v, u32 self_pe, u32 window,
			 u32 max_age_ms)
{
	memset(v, 0, sizeof(*v));
	if (!self_pe || self_pe > MOSIX_PE_MAX || !window ||
	    window > MOSIX_INFO_WINDOW_MAX || !max_age_ms ||
	    max_age_ms > MOSIX_INFO_AGE_MAX_MS)
		return -EINVAL;
	v->slot = info_alloc_array(window, sizeof(*v->slot));
	if (!v->slot)
		return -ENOMEM;
	v->self_pe = self_pe;
	v->window = window;
	v->max_age_ms = max_age_ms;
	v->leave_priority = true;
	return 0;
}

void mosix_info_view_free(struct mosix_info_view *v)
{
	info_free(v->slot);
	memset(v, 0, sizeof(*v));
}

int mosix_info_view_set_max_age(struct mosix_info_view *v, u32 max_age_ms)
{
	if (!max_age_ms || max_age_ms > MOSIX_INFO_AGE_MAX_MS)
		return -EINVAL;
	v->max_age_ms = max_age_ms;
	return 0;
}

/* leaving and down are final for an epoch */
static unsigned int status_rank(u8 status)
{
	return status == MOSIX_INFO_STATUS_DOWN ? 2 :
	       status == MOSIX_INFO_STATUS_LEAVING ? 1 : 0;
}

/* age at now_ms, 0 if the stamp lies ahead, clamped to 32 bits */
static u32 age_at(s64 stamp_ms, s64 now_ms)
{
	s64 age = now_ms - stamp_ms;

	if (age <= 0)
		return 0;
	return age > (s64)AGE_CLAMP ? AGE_CLAMP : (u32)age;
}

static bool expired(const struct mosix_info_view *v, s64 stamp_ms, s64 now_ms)
{
	return age_at(stamp_ms, now_ms) > v->max_age_ms;
}

static bool protects(const struct mosix_info_view *v, u8 status, s64 stamp_ms,
		     s64 now_ms)
{
	return v->leave_priority && status != MOSIX_INFO_STATUS_UP &&
	       !expired(v, stamp_ms, now_ms);
}

static struct mosix_info_slot *find_slot(const struct mosix_info_view *v,
					 u32 pe)
{
	u32 i;

	for (i = 0; i < v->nr; i++)
		if (v->slot[i].e.pe == pe)
			return &v->slot[i];
	return NULL;
}

/* is (e, stamp) newer information about e->pe than what s holds? */
static bool newer(const struct mosix_info_entry *e, s64 stamp_ms,
		  const struct mosix_info_slot *s)
{
	if (e->epoch != s->e.epoch)
		return e->epoch > s->e.epoch;
	if (status_rank(e->status) != status_rank(s->e.status))
		return status_rank(e->status) > status_rank(s->e.status);
	return stamp_ms > s->stamp_ms;
}

/*
 * Whom a new entry about an unknown PE may replace in a full view: the
 * oldest unprotected entry; for a protected newcomer, while fewer than half
 * of the window is protected, the oldest unprotected one (whatever its age),
 * else the oldest protected one.
 */
static struct mosix_info_slot *victim(const struct mosix_info_view *v,
				      bool prot, s64 now_ms)
{
	struct mosix_info_slot *old = NULL, *old_prot = NULL;
	u32 i, nr_prot = 0, cap = v->window / 2 ? v->window / 2 : 1;

	for (i = 0; i < v->nr; i++) {
		struct mosix_info_slot *s = &v->slot[i];

		if (protects(v, s->e.status, s->stamp_ms, now_ms)) {
			nr_prot++;
			if (!old_prot || s->stamp_ms < old_prot->stamp_ms)
				old_prot = s;
		} else if (!old || s->stamp_ms < old->stamp_ms) {
			old = s;
		}
	}
	if (prot && (nr_prot >= cap || !old))
		return old_prot;
	return old;
}

static void set_slot(struct mosix_info_slot *s, const struct mosix_info_entry *e,
		     s64 stamp_ms)
{
	s->e = *e;
	s->e.age_ms = 0;
	s->stamp_ms = stamp_ms;
}

static bool merge_one(struct mosix_info_view *v,
		      const struct mosix_info_entry *e, s64 stamp_ms,
		      s64 now_ms)
{
	struct mosix_info_slot *s = find_slot(v, e->pe);
	bool prot;

	if (s) {
		if (!newer(e, stamp_ms, s))
			return false;
	} else if (v->nr < v->window) {
		s = &v->slot[v->nr++];
	} else {
		prot = protects(v, e->status, stamp_ms, now_ms);
		s = victim(v, prot, now_ms);
		if (!s)
			return false;
		if (!(prot && !protects(v, s->e.status, s->stamp_ms, now_ms)) &&
		    stamp_ms <= s->stamp_ms)
			return false;
	}
	set_slot(s, e, stamp_ms);
	return true;
}

unsigned int mosix_info_view_merge(struct mosix_info_view *v,
				   const struct mosix_info_entry *e,
				   unsigned int n, const struct mosix_map *map,
				   s64 now_ms)
{
	unsigned int i, taken = 0;

	for (i = 0; i < n; i++) {
		if (e[i].pe == v->self_pe || !entry_ok(&e[i]) ||
		    (map && !mosix_map_find_pe(map, e[i].pe)))
			continue;
		taken += merge_one(v, &e[i], now_ms - (s64)e[i].age_ms, now_ms);
	}
	return taken;
}

unsigned int mosix_info_view_merge_direct(struct mosix_info_view *v,
					  const struct mosix_info_entry *e,
					  unsigned int n,
					  const struct mosix_map *map,
					  s64 now_ms)
{
	struct mosix_info_slot *s;

	if (!n)
		return 0;
	s = find_slot(v, e[0].pe);
	/* the sender about itself: another epoch than the held one wins */
	if (s && s->e.epoch != e[0].epoch && e[0].pe != v->self_pe &&
	    entry_ok(&e[0]) && (!map || mosix_map_find_pe(map, e[0].pe))) {
		set_slot(s, &e[0], now_ms - (s64)e[0].age_ms);
		return 1 + mosix_info_view_merge(v, e + 1, n - 1, map, now_ms);
	}
	return mosix_info_view_merge(v, e, n, map, now_ms);
}

void mosix_info_view_prune(struct mosix_info_view *v,
			   const struct mosix_map *map)
{
	u32 i, k = 0;

	for (i = 0; i < v->nr; i++)
		if (mosix_map_find_pe(map, v->slot[i].e.pe))
			v->slot[k++] = v->slot[i];
	v->nr = k;
}

int mosix_info_view_set_self(struct mosix_info_view *v,
			     const struct mosix_info_entry *self)
{
	struct mosix_info_entry e = *self;

	e.age_ms = 0;
	if (e.pe != v->self_pe || !entry_ok(&e) ||
	    e.status == MOSIX_INFO_STATUS_DOWN)
		return -EINVAL;
	/* a leaving node stays leaving until its next epoch */
	if (v->self_set && v->self.epoch == e.epoch &&
	    v->self.status == MOSIX_INFO_STATUS_LEAVING)
		e.status = MOSIX_INFO_STATUS_LEAVING;
	v->self = e;
	v->self_set = true;
	return 0;
}

void mosix_info_view_mark_self_leaving(struct mosix_info_view *v)
{
	v->self.status = MOSIX_INFO_STATUS_LEAVING;
}

/* ranks outgoing entries: protected ones first, then the newest */
static bool out_better(const struct mosix_info_view *v,
		       const struct mosix_info_entry *a,
		       const struct mosix_info_entry *b)
{
	bool pa = v->leave_priority && a->status != MOSIX_INFO_STATUS_UP;
	bool pb = v->leave_priority && b->status != MOSIX_INFO_STATUS_UP;

	if (pa != pb)
		return pa;
	return a->age_ms < b->age_ms;
}

static void sort_by_pe(struct mosix_info_entry *e, unsigned int n)
{
	unsigned int i, j;

	for (i = 1; i < n; i++) {
		struct mosix_info_entry t = e[i];

		for (j = i; j && e[j - 1].pe > t.pe; j--)
			e[j] = e[j - 1];
		e[j] = t;
	}
}

int mosix_info_view_pick_window(const struct mosix_info_view *v, s64 now_ms,
				struct mosix_info_entry *out, unsigned int max)
{
	struct mosix_info_entry *others = out + 1;
	unsigned int k = 0, limit, i, j, worst;

	if (!max)
		return -EINVAL;
	if (!v->self_set)
		return -ENODATA;
	out[0] = v->self;
	out[0].age_ms = 0;
	limit = max - 1;
	for (i = 0; i < v->nr && limit; i++) {
		const struct mosix_info_slot *s = &v->slot[i];
		struct mosix_info_entry c = s->e;

		if (expired(v, s->stamp_ms, now_ms))
			continue;
		c.age_ms = age_at(s->stamp_ms, now_ms);
		if (k < limit) {
			others[k++] = c;
			continue;
		}
		for (worst = 0, j = 1; j < k; j++)
			if (out_better(v, &others[worst], &others[j]))
				worst = j;
		if (out_better(v, &c, &others[worst]))
			others[worst] = c;
	}
	sort_by_pe(others, k);
	return (int)k + 1;
}

void mosix_info_view_fill_hdr(const struct mosix_info_view *v, u64 seq,
			      struct mosix_info_msg_hdr *h)
{
	h->type = v->self.status == MOSIX_INFO_STATUS_LEAVING ?
		  MOSIX_INFO_TYPE_LEAVE : MOSIX_INFO_TYPE_INFO;
	h->sender_pe = (u16)v->self_pe;
	h->epoch = v->self.epoch;
	h->seq = seq;
}

static void report(const struct mosix_info_view *v,
		   const struct mosix_info_slot *s, s64 now_ms,
		   struct mosix_info_entry *out)
{
	*out = s->e;
	out->age_ms = age_at(s->stamp_ms, now_ms);
	if (out->age_ms > v->max_age_ms)
		out->status = MOSIX_INFO_STATUS_DOWN;
}

bool mosix_info_view_lookup(const struct mosix_info_view *v, u32 pe,
			    s64 now_ms, struct mosix_info_entry *out)
{
	const struct mosix_info_slot *s;

	if (pe == v->self_pe) {
		if (!v->self_set)
			return false;
		*out = v->self;
		out->age_ms = 0;
		return true;
	}
	s = find_slot(v, pe);
	if (!s)
		return false;
	report(v, s, now_ms, out);
	return true;
}

/* keeps out[0..*k) sorted by PE and the max smallest PEs */
static void insert_by_pe(struct mosix_info_entry *out, unsigned int *k,
			 unsigned int max, const struct mosix_info_entry *e)
{
	unsigned int j;

	if (*k == max) {
		if (!max || out[max - 1].pe < e->pe)
			return;
		(*k)--;
	}
	for (j = *k; j && out[j - 1].pe > e->pe; j--)
		out[j] = out[j - 1];
	out[j] = *e;
	(*k)++;
}

unsigned int mosix_info_view_snapshot(const struct mosix_info_view *v,
				      s64 now_ms, struct mosix_info_entry *out,
				      unsigned int max)
{
	struct mosix_info_entry e;
	unsigned int k = 0;
	u32 i;

	if (mosix_info_view_lookup(v, v->self_pe, now_ms, &e))
		insert_by_pe(out, &k, max, &e);
	for (i = 0; i < v->nr; i++) {
		report(v, &v->slot[i], now_ms, &e);
		insert_by_pe(out, &k, max, &e);
	}
	return k;
}

/* the PE at position idx of the table's nodes in ascending order */
static u32 nth_pe(const struct mosix_map *map, u32 idx)
{
	u32 i;

	for (i = 0; i < map->nr_ranges; i++) {
		if (idx < map->entries[i].count)
			return map->entries[i].pe + idx;
		idx -= map->entries[i].count;
	}
	return 0;
}

u32 mosix_info_pick_peer(const struct mosix_map *map, u32 self_pe, u32 random)
{
	bool self_in = self_pe && mosix_map_find_pe(map, self_pe);
	u32 m = map->nr_nodes - (self_in ? 1 : 0), idx, pe;

	if (!map->nr_nodes || !m)
		return 0;
	/* uniform over [0, m): the high bits of random * m */
	idx = (u32)(((u64)random * m) >> 32);
	pe = nth_pe(map, idx);
	if (self_in && pe >= self_pe)
		pe = nth_pe(map, idx + 1);
	return pe;
}
