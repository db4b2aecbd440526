/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel differences, force-included into every file of the module (Kbuild
 * -include). The code tests capabilities defined here, never versions.
 */
#ifndef MOSIX_COMPAT_H
#define MOSIX_COMPAT_H

#include <net/genetlink.h>

/* the newest interface the module needs that every kernel since 6.1 has */
#ifndef GENL_REQ_ATTR_CHECK
#error "mosix needs Linux 6.1 or newer"
#endif

/*
 * Formatted extended-ack messages arrived in 6.2; before that only a static
 * string fits, so the map line number is left to the kernel log and mosctl.
 */
static inline void mosix_set_err_line(struct netlink_ext_ack *extack, u32 line,
				      const char *reason)
{
#ifdef NL_SET_ERR_MSG_FMT
	NL_SET_ERR_MSG_FMT(extack, "line %u: %s", line, reason);
#else
	if (extack)
		extack->_msg = reason;
#endif
}

/* hex2bin() left <linux/kernel.h> for its own header */
#ifdef MOSIX_HAVE_LINUX_HEX_H
#include <linux/hex.h>
#endif

/* newer kernels: kernel_bind() takes a struct sockaddr_unsized */
#ifdef MOSIX_HAVE_SOCKADDR_UNSIZED
#define mosix_sockaddr(p) ((struct sockaddr_unsized *)(p))
#else
#define mosix_sockaddr(p) ((struct sockaddr *)(p))
#endif

/* newer kernels: setup_udp_tunnel_sock() takes the struct sock */
#ifdef MOSIX_UDP_TUNNEL_TAKES_SK
#define mosix_udp_tunnel_sock(sock) ((sock)->sk)
#else
#define mosix_udp_tunnel_sock(sock) (sock)
#endif

#endif /* MOSIX_COMPAT_H */
