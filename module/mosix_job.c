// SPDX-License-Identifier: GPL-2.0
/*
 * Job names, command lines and ids, shared by the module, mosctl and the
 * tests. Names and command lines end up in `mosctl ps` on every node: no
 * control character may reach a terminal through them.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#else
#include <errno.h>
#endif

#include "mosix_job.h"

bool mosix_job_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' ||
	       c == '-';
}

int mosix_job_name_check(const char *name, size_t len, const char **reason)
{
	size_t i;

	if (!len) {
		*reason = "the job name is empty";
		return -EINVAL;
	}
	if (len >= MOSIX_JOB_NAME_MAX) {
		*reason = "the job name is longer than 31 characters";
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (!mosix_job_name_char(name[i])) {
			*reason = "the job name has a character outside A-Z a-z 0-9 . _ + -";
			return -EINVAL;
		}
	}
	return 0;
}

int mosix_job_cmd_check(const char *cmd, size_t len, const char **reason)
{
	size_t i;

	if (len >= MOSIX_JOB_CMD_MAX) {
		*reason = "the command line is longer than 255 bytes";
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = cmd[i];

		if (c < 0x20 || c == 0x7f) {
			*reason = "the command line has a control character";
			return -EINVAL;
		}
	}
	return 0;
}

/* a decimal of 1..max without sign or leading zero, ended by stop */
static int parse_decimal(const char **s, char stop, u64 max, u32 *out)
{
	const char *p = *s;
	u64 v = 0;

	if (*p < '1' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (u64)(*p - '0');
		if (v > max)
			v = max + 1;	/* saturate: stays out of range */
	}
	if (*p != stop)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = (u32)v;
	*s = p;
	return 0;
}

int mosix_job_id_parse(const char *s, u32 *home, u32 *num)
{
	u32 h, n;
	int err;

	err = parse_decimal(&s, '.', MOSIX_PE_MAX, &h);
	if (err)
		return err;
	s++;
	err = parse_decimal(&s, '\0', 0xffffffffULL, &n);
	if (err)
		return err;
	*home = h;
	*num = n;
	return 0;
}
