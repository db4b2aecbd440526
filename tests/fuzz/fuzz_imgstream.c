// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the image stream's receiver (tools/mosctl/imgstream.c).
 * Blind bytes never get past authentication, so the input is mostly
 * plaintext that this target encrypts with the receiver's key:
 *
 *   byte 0   bit 0: raw, the rest follows a valid header as it is (length
 *            and truncation paths); bit 1: a clear header of another move
 *   byte 1   the receiver's bound: 0xff none, else 64 bytes per unit
 *   then     records: tag u8 (its low 2 bits: MESSAGE, PUSH, REKEY, FINAL),
 *            length u16 BE, plaintext; a last incomplete one goes as raw bytes
 *
 * Besides crashes and sanitizer reports it checks that a refusal has one of
 * the documented stream errnos, a reason, and left the directory empty, and
 * that an accepted stream left exactly the files and bytes of its stats,
 * none of them readable by group or others.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "imgstream.h"

#define SS(x)	crypto_secretstream_xchacha20poly1305_##x
#define MOVE	0x1122334455667788ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[IMGSTREAM_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static int dirfd_ = -1;
static char dir[64];
static uint8_t ct[IMGSTREAM_REC_MAX + 0x10000];

static void put(int fd, const void *p, size_t len)
{
	if (len && write(fd, p, len) != (ssize_t)len)
		abort();
}

/* the directory is empty between two inputs */
static void remove_dir(void)
{
	rmdir(dir);
}

static void setup(void)
{
	if (sodium_init() < 0)
		abort();
	/* tmpfs if there is one, like the helper's private images directory */
	snprintf(dir, sizeof(dir), "/dev/shm/fuzz-imgstream.XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-imgstream.XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY);
	if (dirfd_ < 0)
		abort();
	atexit(remove_dir);
}

/* the entries of the directory (removed if clean), their sizes; abort on a bad mode */
static uint64_t scan(uint64_t *bytes, int clean)
{
	int fd = openat(dirfd_, ".", O_RDONLY | O_DIRECTORY);
	DIR *d = fdopendir(fd);
	struct dirent *de;
	struct stat sb;
	uint64_t n = 0;

	if (!d)
		abort();
	*bytes = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd_, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) || !S_ISREG(sb.st_mode) ||
		    (sb.st_mode & 0177))
			abort();
		n++;
		*bytes += (uint64_t)sb.st_size;
		if (clean && unlinkat(dirfd_, de->d_name, 0))
			abort();
	}
	closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t clear[IMGSTREAM_CLEAR_LEN], ssh[IMGSTREAM_SS_HEADER_LEN], l[4];
	struct imgstream_stats st;
	uint64_t max, files, bytes;
	SS(state) ss;
	char err[256];
	size_t at = 2;
	int fd, rc;

	if (dirfd_ < 0)
		setup();
	if (size < 2)
		return 0;
	max = data[1] == 0xff ? UINT64_MAX : (uint64_t)data[1] * 64;
	fd = memfd_create("fuzz-imgstream", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	memcpy(clear, IMGSTREAM_MAGIC, 8);
	memset(clear + 8, 0, sizeof(clear) - 8);
	clear[9] = IMGSTREAM_VERSION;
	for (int i = 0; i < 8; i++)
		clear[16 + i] = (uint8_t)((data[0] & 2 ? ~MOVE : MOVE) >> (56 - 8 * i));
	SS(init_push)(&ss, ssh, key);
	put(fd, clear, sizeof(clear));
	put(fd, ssh, sizeof(ssh));
	while (!(data[0] & 1) && at + 3 <= size) {
		size_t len = (size_t)data[at + 1] << 8 | data[at + 2];
		unsigned long long clen;

		if (at + 3 + len > size)
			break;
		SS(push)(&ss, ct, &clen, data + at + 3, len, clear, sizeof(clear), data[at] & 3);
		l[0] = (uint8_t)(clen >> 24), l[1] = (uint8_t)(clen >> 16);
		l[2] = (uint8_t)(clen >> 8), l[3] = (uint8_t)clen;
		put(fd, l, 4);
		put(fd, ct, (size_t)clen);
		at += 3 + len;
	}
	put(fd, data + at, size - at);
	if (lseek(fd, 0, SEEK_SET))
		abort();
	err[0] = 'x';
	rc = imgstream_recv_dir(fd, dirfd_, key, MOVE, max, &st, err, sizeof(err));
	close(fd);
	files = scan(&bytes, 1);
	if (rc) {
		if (rc != -EBADMSG && rc != -EPROTO && rc != -EFBIG && rc != -ECONNRESET)
			abort();
		if (files || strncmp(err, "stream: ", 8))
			abort();
	} else {
		if (err[0] || files != st.files || bytes != st.bytes || bytes > max)
			abort();
	}
	return 0;
}
