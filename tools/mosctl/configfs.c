// SPDX-License-Identifier: GPL-2.0
/*
 * The configfs files of the module: pe, table, state, key, epoch and the
 * others. A write is one write(2), as the kernel takes one store per write;
 * its errno is explained in the terms of the file that refused it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mosctl.h"

/* a configfs file is one page; anything much larger is not one */
#define READ_MAX	(1 << 20)

const char *mosctl_configfs_dir(void)
{
	const char *dir = getenv(MOSCTL_ENV_CONFIGFS);

	return dir && *dir ? dir : MOSCTL_CONFIGFS_DIR;
}

bool mosctl_configfs_present(void)
{
	struct stat st;

	return !stat(mosctl_configfs_dir(), &st) && S_ISDIR(st.st_mode);
}

static int path_of(const char *file, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", mosctl_configfs_dir(), file);

	if (n < 0 || (size_t)n >= size) {
		mosctl_err("%s: path too long", mosctl_configfs_dir());
		return -ENAMETOOLONG;
	}
	return 0;
}

const char *mosctl_configfs_explain(const char *file, int err,
				    const char *value, char *buf, size_t size)
{
	bool pe = !strcmp(file, "pe"), table = !strcmp(file, "table");
	bool key = !strcmp(file, "key"), epoch = !strcmp(file, "epoch");

	if (err < 0)
		err = -err;
	if (!strcmp(file, "state") && (err == EACCES || err == EPERM))
		return "state is read-only";
	switch (err) {
	case EPERM:
	case EACCES:
		return "must be root";
	case EINTR:
		return "interrupted";
	case ENOMEM:
		return "out of memory";
	}
	if (pe && value) {
		switch (err) {
		case EINVAL:
			return "not a decimal number";
		case ERANGE:
			return "PE above 65535";
		case ENOENT:
			snprintf(buf, size, "PE %s is not in the node table",
				 value ? value : "?");
			return buf;
		case EBUSY:
			return "a transition is running or the node is up with another PE";
		case ENOKEY:
			return "no cluster key is set: give one with 'mosctl setpe -w -f MAP -k KEYFILE'";
		}
	} else if (key && value) {
		switch (err) {
		case EBUSY:
			return "the key cannot change while the node is up: 'mosctl setpe -off' first";
		case EINVAL:
		case ERANGE:
			return "not a key: 32..128 hex digits";
		}
	} else if (epoch && value) {
		switch (err) {
		case EBUSY:
			return "the node is up: its epoch is set while it is off";
		case EINVAL:
			return "not a decimal number";
		case ERANGE:
			return "0, or 2^63 and above";
		}
	} else if (table && value) {
		switch (err) {
		case EINVAL:
			return "a syntax error in the map";
		case ERANGE:
			return "a PE, COUNT or address range out of range";
		case EEXIST:
			return "overlapping PE ranges or an address used twice";
		case E2BIG:
			return "more than 131072 entries";
		case EFBIG:
			return "more than 4094 bytes do not fit one configfs write, use 'mosctl setpe -w'";
		case ENOENT:
			return "the table does not contain this node's PE; take the node down first";
		case EBUSY:
			return "a transition is running";
		}
	} else if (table) {
		if (err == EFBIG)
			return "the table is too large to read through configfs";
	}
	return NULL;
}

/*
 * answered: err came from write(2) or read(2), so it is the file's own
 * answer; value: what was written, NULL for a read
 */
static void report(const char *file, const char *path, int err,
		   const char *value, bool answered, const char *what)
{
	char buf[64];
	const char *meaning = NULL;

	if (err == ENOENT && !answered && !mosctl_configfs_present()) {
		mosctl_err("%s%s%s does not exist: is the mosix module loaded?",
			   what ? what : "", what ? ": " : "",
			   mosctl_configfs_dir());
		return;
	}
	if (answered || err == EACCES || err == EPERM)
		meaning = mosctl_configfs_explain(file, err, value, buf,
						  sizeof(buf));
	mosctl_err("%s%s%s: %s%s%s%s", what ? what : "", what ? ": " : "",
		   path, strerror(err), meaning ? " (" : "",
		   meaning ? meaning : "", meaning ? ")" : "");
}

int mosctl_configfs_write(const char *file, const char *text, size_t len,
			  const char *what)
{
	char path[PATH_MAX], value[24];
	ssize_t n;
	int fd, err = 0;

	if (path_of(file, path, sizeof(path)))
		return -ENAMETOOLONG;
	/* for the messages; never a piece of the key */
	if (!strcmp(file, "key"))
		value[0] = '\0';
	else
		snprintf(value, sizeof(value), "%.*s",
			 (int)(len < sizeof(value) ? len : sizeof(value) - 1), text);

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		report(file, path, err, value, false, what);
		return -err;
	}
	n = write(fd, text, len);
	if (n < 0)
		err = errno;
	else if ((size_t)n != len)
		err = EIO;	/* a short write would be a truncated store */
	if (close(fd) && !err)
		err = errno;
	if (err) {
		report(file, path, err, value, true, what);
		return -err;
	}
	return 0;
}

int mosctl_configfs_read(const char *file, char **text, size_t *len)
{
	char path[PATH_MAX];
	int fd, err;

	if (path_of(file, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		report(file, path, err, NULL, false, NULL);
		return -err;
	}
	err = mosctl_read_all(fd, READ_MAX, text, len);
	close(fd);
	/* EFBIG: the kernel's (a table above a page) or ours, the same thing */
	if (err)
		report(file, path, -err, NULL, err != -ENOMEM, NULL);
	return err;
}

int mosctl_configfs_read_quiet(const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	const char *s;
	ssize_t got;
	size_t n;
	int fd;

	n = (size_t)snprintf(path, sizeof(path), "%s/%s", mosctl_configfs_dir(), file);
	if (n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = mosctl_read_full(fd, buf, size - 1);
	close(fd);
	if (got < 0)
		return (int)got;
	s = mosctl_trim(buf, (size_t)got, &n);
	memmove(buf, s, n);
	buf[n] = '\0';
	return 0;
}

int mosctl_configfs_read_u32(const char *file, uint32_t max, uint32_t *val)
{
	char *text;
	const char *s;
	size_t len, n;
	int err = mosctl_configfs_read(file, &text, &len);

	if (err)
		return err;
	s = mosctl_trim(text, len, &n);
	err = mosix_parse_decimal(s, n, max, val);
	if (err)
		mosctl_err("%s/%s: unexpected content '%.*s'", mosctl_configfs_dir(),
			   file, (int)(n < 32 ? n : 32), s);
	free(text);
	return err ? -EINVAL : 0;
}

uint32_t mosctl_self_pe(void)
{
	char buf[16];
	uint32_t pe = 0;

	if (mosctl_configfs_read_quiet("pe", buf, sizeof(buf)) ||
	    mosix_parse_decimal(buf, strlen(buf), MOSIX_PE_MAX, &pe))
		return 0;
	return pe;
}
