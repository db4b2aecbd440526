// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers every command uses: reading a whole file (one read loop
 * for configfs files, map files, key files and the state file), trimming
 * the blanks around a value, parsing a u64.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mosctl.h"

/* the first allocation of mosctl_read_all(); it doubles from there */
#define READ_CHUNK	65536

bool mosctl_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

const char *mosctl_trim(const char *text, size_t len, size_t *n)
{
	const char *s = text, *end = text + len;

	while (s < end && mosctl_is_blank(*s))
		s++;
	while (end > s && mosctl_is_blank(end[-1]))
		end--;
	*n = (size_t)(end - s);
	return s;
}

ssize_t mosctl_read_full(int fd, char *buf, size_t size)
{
	size_t used = 0;

	while (used < size) {
		ssize_t n = read(fd, buf + used, size - used);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			break;
		used += (size_t)n;
	}
	return (ssize_t)used;
}

int mosctl_read_all(int fd, size_t max, char **text, size_t *len)
{
	size_t size = max < READ_CHUNK ? max + 1 : READ_CHUNK, used = 0;
	char *buf = malloc(size + 1);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = mosctl_read_full(fd, buf + used, size - used);
		char *p;

		if (n < 0) {
			explicit_bzero(buf, used);
			free(buf);
			return (int)n;
		}
		used += (size_t)n;
		if (used < size)
			break;		/* the end of the file */
		if (used > max) {
			explicit_bzero(buf, used);
			free(buf);
			return -EFBIG;
		}
		/* max + 1 bytes at the most: one more tells "too large" */
		size = size > max / 2 ? max + 1 : 2 * size;
		p = realloc(buf, size + 1);
		if (!p) {
			explicit_bzero(buf, used);
			free(buf);
			return -ENOMEM;
		}
		buf = p;
	}
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
}

int mosctl_parse_u64(const char *s, size_t len, uint64_t *val)
{
	uint64_t v = 0;
	bool big = false;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			big = true;
		else
			v = v * 10 + d;
	}
	if (big)
		return -ERANGE;
	*val = v;
	return 0;
}

int mosctl_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int mosctl_write_full(int fd, const void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(fd, (const char *)buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (!w)
			return -EIO;
		off += (size_t)w;
	}
	return 0;
}

int mosctl_write_file(const char *path, const char *text, size_t len)
{
	char tmp[4096 + 8];
	int fd, e;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	e = mosctl_write_full(fd, text, len);
	if (close(fd) < 0 && !e)
		e = -errno;
	if (!e && rename(tmp, path) < 0)
		e = -errno;
	if (e)
		unlink(tmp);
	return e;
}
