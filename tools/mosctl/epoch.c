// SPDX-License-Identifier: GPL-2.0
/*
 * The boot epoch across boots, for mosctl start. Peers drop every datagram
 * of a node whose epoch is not newer than the last they saw from it, so
 * each bring-up must use a larger epoch than any before it, also after the
 * clock went back (no RTC, a restored VM). The module proposes one from the
 * clock (configfs `epoch` while off); start keeps a counter of its own in
 * STATE_DIR/epoch and hands the module
 *
 *	E = max(saved + MOSIX_EPOCH_STEP, proposal)
 *
 * saved to disk (temporary file, fsync, rename, fsync of the directory)
 * before the module sees it: a crash in between wastes an epoch, it never
 * lets one be used twice. MOSIX_EPOCH_STEP leaves room for the module's own
 * +1 per restart of the node within one module load.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "mosctl.h"

#define EPOCH_FILE	"epoch"
/* a u64 in decimal and a newline, with room for blanks around it */
#define EPOCH_TEXT_MAX	64

const char *mosctl_state_dir(const char *option)
{
	const char *dir = getenv(MOSCTL_ENV_STATE_DIR);

	if (option && *option)
		return option;
	return dir && *dir ? dir : MOSCTL_STATE_DIR;
}

static int epoch_path(const char *dir, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size) {
		mosctl_err("start: state directory %s: %s", dir, strerror(ENAMETOOLONG));
		return -1;
	}
	return 0;
}

/* a failure to write the state directory: what it is for, how to move it */
static void dir_error(const char *dir, const char *what, const char *path,
		      int err)
{
	mosctl_err("start: %s %s: %s (mosctl start keeps this node's boot epoch in %s; --state-dir DIR or $MOSIX_STATE_DIR names another, writable, directory)",
		   what, path, strerror(err), dir);
}

int mosctl_epoch_load(const char *dir, uint64_t *saved)
{
	char path[PATH_MAX], buf[EPOCH_TEXT_MAX + 1];
	const char *s;
	ssize_t got;
	size_t n, i;
	int fd, err;

	*saved = 0;
	if (epoch_path(dir, EPOCH_FILE, path, sizeof(path)))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;	/* the first start: the clock's proposal decides */
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	got = mosctl_read_full(fd, buf, sizeof(buf));
	close(fd);
	if (got < 0) {
		err = (int)-got;
		goto fail;
	}
	s = mosctl_trim(buf, (size_t)got, &n);
	if ((size_t)got > EPOCH_TEXT_MAX || mosctl_parse_u64(s, n, saved)) {
		char *shown = buf + (s - buf);

		for (i = 0; i < n && i < 32; i++)
			if ((unsigned char)shown[i] < 0x20 || (unsigned char)shown[i] >= 0x7f)
				shown[i] = '?';
		mosctl_err("start: %s: '%.*s' is not a decimal number (the boot epoch saved by the last start: correct it, or remove the file to start over from the clock); nothing was changed",
			   path, (int)(n < 32 ? n : 32), s);
		*saved = 0;
		return -1;
	}
	return 0;
fail:
	mosctl_err("start: %s: %s (the boot epoch saved by the last start); nothing was changed",
		   path, strerror(err));
	return -1;
}

int mosctl_epoch_next(uint64_t saved, uint64_t proposal, uint64_t *epoch)
{
	if (saved > MOSIX_EPOCH_MAX - MOSIX_EPOCH_STEP)
		return -ERANGE;
	*epoch = saved + MOSIX_EPOCH_STEP;
	if (proposal > *epoch)
		*epoch = proposal;
	return *epoch > MOSIX_EPOCH_MAX ? -ERANGE : 0;
}

int mosctl_state_dir_ready(const char *dir)
{
	char buf[PATH_MAX], *p;
	struct stat st;
	int err = 0, n = snprintf(buf, sizeof(buf), "%s", dir);

	if (n < 0 || (size_t)n >= sizeof(buf)) {
		dir_error(dir, "state directory", dir, ENAMETOOLONG);
		return -1;
	}
	/* mkdir -p, 0755 */
	for (p = buf + 1; ; p++) {
		char c = *p;

		if (c && c != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST) {
			dir_error(dir, "creating", buf, errno);
			return -1;
		}
		*p = c;
		if (!c)
			break;
	}
	if (stat(dir, &st))
		err = errno;
	else if (!S_ISDIR(st.st_mode))
		err = ENOTDIR;
	else if (access(dir, W_OK))
		err = errno;
	if (err) {
		dir_error(dir, "state directory", dir, err);
		return -1;
	}
	return 0;
}

int mosctl_epoch_save(const char *dir, uint64_t epoch)
{
	char path[PATH_MAX], tmp[PATH_MAX], text[32];
	const char *failed = tmp;
	int fd, len, err = 0;
	ssize_t n;

	if (epoch_path(dir, EPOCH_FILE, path, sizeof(path)) ||
	    epoch_path(dir, EPOCH_FILE ".XXXXXX", tmp, sizeof(tmp)) ||
	    mosctl_state_dir_ready(dir))
		return -1;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		dir_error(dir, "saving the boot epoch:", tmp, errno);
		return -1;
	}
	len = snprintf(text, sizeof(text), "%" PRIu64 "\n", epoch);
	n = write(fd, text, (size_t)len);
	if (n < 0)
		err = errno;
	else if (n != len)
		err = EIO;
	if (!err && (fchmod(fd, 0644) || fsync(fd)))
		err = errno;
	if (close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, path)) {
		err = errno;
		failed = path;
	}
	if (err) {
		unlink(tmp);
		dir_error(dir, "saving the boot epoch:", failed, err);
		return -1;
	}
	/* the rename itself is durable once the directory is */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (fsync(fd) && errno != EINVAL && errno != EOPNOTSUPP))
		err = errno;
	if (fd >= 0)
		close(fd);
	if (err) {
		dir_error(dir, "saving the boot epoch: syncing", dir, err);
		return -1;
	}
	return 0;
}

int mosctl_epoch_handover(const char *dir, uint64_t saved)
{
	char buf[EPOCH_TEXT_MAX], value[24];
	uint64_t proposal, epoch;
	int err = mosctl_configfs_read_quiet("epoch", buf, sizeof(buf));

	if (err == -ENOENT) {
		mosctl_err("start: warning: %s/epoch does not exist: the module is older than mosctl and takes its boot epoch from the clock alone (after the clock went back, peers ignore this node for a while)",
			   mosctl_configfs_dir());
		return 0;
	}
	if (err) {
		mosctl_err("start: %s/epoch: %s", mosctl_configfs_dir(), strerror(-err));
		return -1;
	}
	if (mosctl_parse_u64(buf, strlen(buf), &proposal)) {
		mosctl_err("start: %s/epoch: unexpected content '%.32s'",
			   mosctl_configfs_dir(), buf);
		return -1;
	}
	if (mosctl_epoch_next(saved, proposal, &epoch)) {
		mosctl_err("start: no boot epoch is left: %s/%s holds %" PRIu64 ", the module proposes %" PRIu64 ", the largest is %" PRIu64,
			   dir, EPOCH_FILE, saved, proposal, (uint64_t)MOSIX_EPOCH_MAX);
		return -1;
	}
	if (mosctl_epoch_save(dir, epoch))
		return -1;
	snprintf(value, sizeof(value), "%" PRIu64, epoch);
	return mosctl_configfs_write("epoch", value, strlen(value),
				     "start: setting the boot epoch") ? -1 : 0;
}
