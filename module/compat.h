/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel differences, force-included into every file of the module (Kbuild
 * -include). The code tests capabilities defined here, never versions.
 */
#ifndef MOSIX_COMPAT_H
#define MOSIX_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "mosix needs Linux 6.1 or newer"
#endif

#include <net/netlink.h>

/*
 * Formatted extended-ack messages arrived in 6.2; before that only a static
 * string fits, so the map line number is left to the kernel log and mosctl.
 */
#ifdef NL_SET_ERR_MSG_FMT
#define mosix_set_err_line(extack, line, reason) \
	NL_SET_ERR_MSG_FMT(extack, "line %u: %s", line, reason)
#else
#define mosix_set_err_line(extack, line, reason) \
	do { if (extack) (extack)->_msg = (reason); } while (0)
#endif

#endif /* MOSIX_COMPAT_H */
