/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Jobs: their names, command lines and cluster-wide ids ("HOME.NUM").
 * Pure logic, compiled into the module, into mosctl and into the unit tests,
 * so that mosctl refuses exactly what the kernel would.
 */
#ifndef MOSIX_JOB_H
#define MOSIX_JOB_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "../tools/include/mosix_user.h"
#endif

#include "../include/uapi/linux/mosix.h"

/* "65535.4294967295" and the NUL */
#define MOSIX_JOB_ID_STRLEN	17

/* one of [A-Za-z0-9._+-], what a job name is made of */
bool mosix_job_name_char(char c);
/* 0, or -EINVAL with *reason: 1..MOSIX_JOB_NAME_MAX-1 of [A-Za-z0-9._+-] */
int mosix_job_name_check(const char *name, size_t len, const char **reason);
/* 0, or -EINVAL with *reason: < MOSIX_JOB_CMD_MAX bytes, no control character */
int mosix_job_cmd_check(const char *cmd, size_t len, const char **reason);
/*
 * "HOME.NUM", HOME 1..MOSIX_PE_MAX, NUM 1..4294967295, decimal without
 * leading zeros or signs: 0, or -EINVAL (malformed) / -ERANGE (out of range)
 */
int mosix_job_id_parse(const char *s, u32 *home, u32 *num);

#endif /* MOSIX_JOB_H */
