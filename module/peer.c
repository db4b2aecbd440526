// SPDX-License-Identifier: GPL-2.0
/*
 * The peers: one refcounted object per other node of the table, owning its
 * address, its replay state and its budget of datagrams before the HMAC
 * (WireGuard's peers and ratelimiter are the model). A peer set is an
 * array of references sorted by PE, published with RCU: the receive path
 * screens datagrams in softirq under rcu_read_lock(), the info daemon uses
 * the set under its io_lock. A table swap builds a new set: a peer whose
 * address stays is shared between the sets (one more reference), one whose
 * address changes is a new object that takes over the old one's state.
 */
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include "mosix.h"

/* before the HMAC: a burst, then four datagrams per tick, at least 50 a second */
#define PEER_BURST		32
#define PEER_COST_MAX_NS	(20 * NSEC_PER_MSEC)

static void peer_release(struct kref *ref)
{
	kfree(container_of(ref, struct mosix_peer, ref));
}

struct mosix_peer *mosix_peer_get(struct mosix_peer *p)
{
	kref_get(&p->ref);
	return p;
}

void mosix_peer_put(struct mosix_peer *p)
{
	if (p)
		kref_put(&p->ref, peer_release);
}

struct mosix_peer *mosix_peers_find(const struct mosix_peers *ps, u32 pe)
{
	u32 lo = 0, hi = ps ? ps->nr : 0;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (ps->p[mid]->pe == pe)
			return ps->p[mid];
		if (ps->p[mid]->pe < pe)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void peers_free_rcu(struct rcu_head *rcu)
{
	struct mosix_peers *ps = container_of(rcu, struct mosix_peers, rcu);
	u32 i;

	for (i = 0; i < ps->nr; i++)
		mosix_peer_put(ps->p[i]);
	kvfree(ps);
}

/* after a grace period: no screening in softirq still reads the set */
void mosix_peers_free(struct mosix_peers *ps)
{
	if (ps)
		call_rcu(&ps->rcu, peers_free_rcu);
}

/* the address node pe + k of range r has in `family`, else an alias's */
static bool peer_addr(const struct mosix_map *map, u32 i, u32 k, u8 family,
		      struct mosix_addr *addr)
{
	const struct mosix_map_entry *r = &map->entries[i];
	u32 a;

	if (r->addr.family == family && mosix_addr_add(&r->addr, k, addr))
		return true;
	for (a = map->nr_ranges; a < mosix_map_nr_entries(map); a++) {
		if (map->entries[a].pe == r->pe + k &&
		    map->entries[a].addr.family == family) {
			*addr = map->entries[a].addr;
			return true;
		}
	}
	return false;
}

static bool same_addr(const struct mosix_peer *p, bool has, const struct mosix_addr *a)
{
	return p->has_addr == has && (!has || !mosix_addr_cmp(&p->addr, a));
}

/*
 * Every node of map but self_pe, with its address in `family`. A PE of old
 * at the same address is the same object; one whose address changed gets a
 * new object (its state comes over in mosix_peers_carry()). Sleeps; old
 * must stay alive meanwhile (the caller holds the config lock). Ranges are
 * sorted by PE, so the set is too.
 */
struct mosix_peers *mosix_peers_build(const struct mosix_map *map, u32 self_pe,
				      u8 family, const struct mosix_peers *old)
{
	struct mosix_peers *ps;
	u32 i, k;

	ps = kvzalloc(struct_size(ps, p, map->nr_nodes), GFP_KERNEL);
	if (!ps)
		return NULL;
	for (i = 0; i < map->nr_ranges; i++) {
		for (k = 0; k < map->entries[i].count; k++) {
			u32 pe = map->entries[i].pe + k;
			struct mosix_peer *p, *was;
			struct mosix_addr addr = {};
			bool has;

			if (pe == self_pe)
				continue;
			has = peer_addr(map, i, k, family, &addr);
			was = mosix_peers_find(old, pe);
			if (was && same_addr(was, has, &addr)) {
				ps->p[ps->nr++] = mosix_peer_get(was);
				continue;
			}
			p = kzalloc(sizeof(*p), GFP_KERNEL);
			if (!p) {
				peers_free_rcu(&ps->rcu);	/* never published */
				return NULL;
			}
			kref_init(&p->ref);
			spin_lock_init(&p->budget_lock);
			p->pe = pe;
			p->has_addr = has;
			p->addr = addr;
			ps->p[ps->nr++] = p;
		}
	}
	return ps;
}

/*
 * The state of each PE that moved to a new object, from its object in old:
 * what the daemon learnt up to the swap. Caller holds the daemon's io_lock.
 */
void mosix_peers_carry(struct mosix_peers *ps, const struct mosix_peers *old)
{
	u32 i;

	for (i = 0; i < ps->nr; i++) {
		struct mosix_peer *p = ps->p[i];
		struct mosix_peer *was = mosix_peers_find(old, p->pe);

		if (!was || was == p)
			continue;
		p->heard = was->heard;
		p->replay = was->replay;
		p->mig_replay = was->mig_replay;
		/* (what the old object counts until the new set is out is lost) */
		atomic64_set(&p->tx_packets, atomic64_read(&was->tx_packets));
		atomic64_set(&p->rx_packets, atomic64_read(&was->rx_packets));
		atomic64_set(&p->rx_accepted, atomic64_read(&was->rx_accepted));
		spin_lock_bh(&was->budget_lock);
		p->budget_ns = was->budget_ns;
		p->budget_stamp_ns = was->budget_stamp_ns;
		spin_unlock_bh(&was->budget_lock);
	}
}

/*
 * May this peer's datagram have its tag computed? A budget of PEER_BURST
 * datagrams, refilled at four per tick of interval_ms (at least 50 a
 * second): far above what an honest peer sends, far below a flood. Runs in
 * softirq, before the datagram is queued.
 */
bool mosix_peer_budget(struct mosix_peer *p, u32 interval_ms)
{
	u64 cost = min_t(u64, (u64)interval_ms * NSEC_PER_MSEC / 4,
			 PEER_COST_MAX_NS);
	u64 now = ktime_get_ns();
	bool ok = false;

	spin_lock(&p->budget_lock);
	p->budget_ns = min(p->budget_ns + (now - p->budget_stamp_ns),
			   PEER_BURST * cost);
	p->budget_stamp_ns = now;
	if (p->budget_ns >= cost) {
		p->budget_ns -= cost;
		ok = true;
	}
	spin_unlock(&p->budget_lock);
	return ok;
}
