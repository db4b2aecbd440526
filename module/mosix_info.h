/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The info daemon's pure logic: wire codec, replay rule, the bounded view of
 * the cluster (MOSIX, Barak 2001) and the choice of a peer. Compiled into the
 * module, the unit tests, the fuzzer and the simulator. No sockets, no
 * crypto, no locking: the caller serialises access to a view and computes
 * the HMAC-SHA256 tag (MOSIX_INFO_TAG_LEN bytes) itself.
 *
 * Receive path, in this order (each step counts its own drop reason):
 *   mosix_info_precheck(len)          truncated / oversized, before any crypto
 *   verify the tag over [0, len - 32) bad_tag
 *   mosix_info_decode()               bad_magic .. bad_order
 *   mosix_info_check_sender()         unknown_pe / spoofed_source
 *   mosix_info_replay_ok()            replay
 *   mosix_info_view_merge()
 * Send path: mosix_info_view_pick_window(), mosix_info_view_fill_hdr(),
 * mosix_info_encode(), append the tag at the returned offset.
 *
 * Times are milliseconds on one monotonic clock of the caller's (now_ms).
 */
#ifndef MOSIX_INFO_H
#define MOSIX_INFO_H

#include "mosix_map.h"

/* enum mosix_info_drop (why a datagram was dropped) is in the UAPI header */
#define MOSIX_INFO_DROP_MAX (__MOSIX_INFO_DROP_MAX - 1)

/* the header without magic, version and count (the codec handles those) */
struct mosix_info_msg_hdr {
	u8 type;		/* enum mosix_info_type */
	u16 sender_pe;
	u64 epoch;
	u64 seq;
};

/* one entry, as on the wire (see the UAPI header for ranges) */
struct mosix_info_entry {
	u16 pe;
	u8 status;		/* enum mosix_info_status */
	u32 age_ms;
	u32 load;		/* load average x 1000 */
	u16 cpus;
	u16 util;		/* per mille */
	u32 speed;
	u64 epoch;		/* boot epoch of node pe */
	u64 mem_kb;
	u64 free_kb;
};

/* for the codecs: sets *why and returns err (a negative errno) */
static inline int mosix_info_drop_as(enum mosix_info_drop *why,
				     enum mosix_info_drop reason, int err)
{
	*why = reason;
	return err;
}

/* "bad_tag", ...; "unknown" for a value outside the enum */
const char *mosix_info_drop_name(unsigned int why);
/* "ticks", "tx_packets", ...; NULL for a value that names no counter */
const char *mosix_info_stat_name(unsigned int stat);

/*
 * Size check before the tag is computed: 0, or -EMSGSIZE with *why set to
 * truncated (shorter than the smallest datagram) or oversized.
 */
int mosix_info_precheck(size_t len, enum mosix_info_drop *why);

/*
 * Every rule of the format on the decoded form: 0, or a negative errno and
 * *why (bad_type, bad_count, bad_field, bad_sender or bad_order).
 */
int mosix_info_validate(const struct mosix_info_msg_hdr *h,
			const struct mosix_info_entry *e, unsigned int n,
			enum mosix_info_drop *why);

/*
 * Writes header and n entries into buf; returns the bytes written, the offset
 * of the tag, which the caller appends (size must leave room for it).
 * -EINVAL if the message would not validate, -EMSGSIZE if buf is too small.
 */
int mosix_info_encode(const struct mosix_info_msg_hdr *h,
		      const struct mosix_info_entry *e, unsigned int n,
		      u8 *buf, size_t size);

/*
 * What can be checked before the tag is computed: length, magic, version,
 * type, count against the length; gives the claimed sender PE. 0 or a
 * negative errno with *why set, as mosix_info_decode().
 */
int mosix_info_peek(const u8 *buf, size_t len, u32 *sender_pe,
		    enum mosix_info_drop *why);

/*
 * Parses a datagram of len bytes (tag included, already verified). Returns
 * the number of entries stored in e[0..), at most max, or a negative errno
 * with *why set: -EMSGSIZE (truncated, oversized), -EPROTO (bad_magic,
 * bad_type), -EPROTONOSUPPORT (bad_version), -E2BIG (bad_count), -ERANGE
 * (bad_field), -EINVAL (bad_sender, bad_order). e[] may be clobbered on
 * failure.
 */
int mosix_info_decode(const u8 *buf, size_t len, struct mosix_info_msg_hdr *h,
		      struct mosix_info_entry *e, unsigned int max,
		      enum mosix_info_drop *why);

/*
 * After decoding: the sender PE must be in the table, must not be this node,
 * and the source address must belong to it (its range or an alias).
 * 0, or -ENOENT (unknown_pe) / -EPERM (spoofed_source) with *why set.
 */
int mosix_info_check_sender(const struct mosix_map *map, u32 self_pe,
			    u32 sender_pe, const struct mosix_addr *src,
			    enum mosix_info_drop *why);

/* the last (epoch, seq) accepted from one sender; zeroed: nothing yet */
struct mosix_info_replay {
	u64 epoch;
	u64 seq;
};

/*
 * True if (epoch, seq) is strictly newer than the state: a newer epoch, or
 * the same epoch with a larger seq. The state changes only then.
 */
bool mosix_info_replay_ok(struct mosix_info_replay *st, u64 epoch, u64 seq);

/* what the view holds about one other node */
struct mosix_info_slot {
	struct mosix_info_entry e;	/* e.age_ms unused */
	s64 stamp_ms;			/* when it was current: now - age */
};

/*
 * The bounded view: this node's own entry plus at most `window` entries about
 * others, the newest ones heard. Leaving/down entries younger than max_age_ms
 * are protected while leave_priority is set (the default): an up entry never
 * evicts them, they go out in every message, and a new one may evict up
 * entries only while fewer than half of the window is protected.
 */
struct mosix_info_view {
	u32 self_pe;
	u32 window;		/* capacity of slot[] */
	u32 max_age_ms;
	u32 nr;			/* slots in use */
	bool leave_priority;
	bool self_set;
	struct mosix_info_entry self;
	struct mosix_info_slot *slot;
};

/*
 * self_pe 1..65535, window 1..MOSIX_INFO_WINDOW_MAX, max_age_ms
 * 1..MOSIX_INFO_AGE_MAX_MS (-EINVAL); allocates (GFP_KERNEL): -ENOMEM.
 * max_age_ms bounds both "reported down" and the leave priority, so it must
 * cover the spread of a leave notice: (log2 N + ln N + 5) ticks.
 */
int mosix_info_view_init(struct mosix_info_view *v, u32 self_pe, u32 window,
			 u32 max_age_ms);
void mosix_info_view_free(struct mosix_info_view *v);
int mosix_info_view_set_max_age(struct mosix_info_view *v, u32 max_age_ms);

/* own entry (pe must be self_pe, status up or leaving): -EINVAL otherwise */
int mosix_info_view_set_self(struct mosix_info_view *v,
			     const struct mosix_info_entry *self);
/* from now on, send LEAVE messages: own status leaving */
void mosix_info_view_mark_self_leaving(struct mosix_info_view *v);

/*
 * Merges the n entries of an accepted message received at now_ms: entries
 * about this node, about PEs not in map (if map is not NULL) and invalid ones
 * are ignored. Returns how many entries were taken.
 */
unsigned int mosix_info_view_merge(struct mosix_info_view *v,
				   const struct mosix_info_entry *e,
				   unsigned int n, const struct mosix_map *map,
				   s64 now_ms);

/*
 * As mosix_info_view_merge() for a message whose sender was authenticated
 * directly (tag, source address, replay): its own entry e[0] replaces what
 * the view holds about it whatever that entry's epoch, so that an epoch
 * relayed by others (stale, or forged far ahead) cannot outlive the node's
 * own word.
 */
unsigned int mosix_info_view_merge_direct(struct mosix_info_view *v,
					  const struct mosix_info_entry *e,
					  unsigned int n,
					  const struct mosix_map *map,
					  s64 now_ms);

/* drops every entry about a PE that is no longer in the table */
void mosix_info_view_prune(struct mosix_info_view *v,
			   const struct mosix_map *map);

/*
 * The entries of the next message, at most max (1 + window normally): own
 * entry first with age 0, then the protected entries, then the newest others,
 * never one older than max_age_ms, in ascending PE order after the first.
 * Returns the count, -ENODATA without an own entry, -EINVAL if max is 0.
 */
int mosix_info_view_pick_window(const struct mosix_info_view *v, s64 now_ms,
				struct mosix_info_entry *out, unsigned int max);

/* header for the message whose entries pick_window produced */
void mosix_info_view_fill_hdr(const struct mosix_info_view *v, u64 seq,
			      struct mosix_info_msg_hdr *h);

/*
 * What the view says about pe at now_ms, with the current age and the status
 * to report (down once older than max_age_ms); false: unknown.
 */
bool mosix_info_view_lookup(const struct mosix_info_view *v, u32 pe,
			    s64 now_ms, struct mosix_info_entry *out);

/*
 * For dumps: the own entry and every held entry, as lookup reports them,
 * sorted by PE; at most max. Returns the count. At most window + 1 entries.
 */
unsigned int mosix_info_view_snapshot(const struct mosix_info_view *v,
				      s64 now_ms, struct mosix_info_entry *out,
				      unsigned int max);

/*
 * A PE of the table other than self_pe, uniform over random (a u32 from a
 * uniform source); 0 if there is none.
 */
u32 mosix_info_pick_peer(const struct mosix_map *map, u32 self_pe, u32 random);

#endif /* MOSIX_INFO_H */
