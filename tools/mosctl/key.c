// SPDX-License-Identifier: GPL-2.0
/*
 * The cluster key file of 'mosctl setpe -w --key-file': the key as 32..128
 * hex digits (16..64 bytes, an even number of digits), blanks and newlines
 * around them allowed, nothing else. That is the form configfs `key` takes,
 * so the digits are written there as they are. Nothing here prints key
 * material, and the copies are wiped after use.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "mosctl.h"

/* a key file is short; this leaves room for generous blanks */
#define KEY_FILE_MAX	4096

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

int mosctl_key_parse(const char *text, size_t len, struct mosctl_key *key,
		     const char **reason)
{
	const char *s;
	size_t n, i;

	memset(key, 0, sizeof(*key));
	s = mosctl_trim(text, len, &n);
	for (i = 0; i < n; i++) {
		if (!is_hex(s[i])) {
			*reason = mosctl_is_blank(s[i]) ?
				  "not a key: blanks inside the hex digits" :
				  "not a key: a character that is not a hex digit (the file must hold the key as 32..128 hex digits)";
			return -EINVAL;
		}
	}
	if (n < MOSCTL_KEY_HEX_MIN) {
		*reason = n ? "key too short: fewer than 32 hex digits (16 bytes)" :
			  "no key: the file holds no hex digits";
		return -EINVAL;
	}
	if (n > MOSCTL_KEY_HEX_MAX) {
		*reason = "key too long: more than 128 hex digits (64 bytes)";
		return -EINVAL;
	}
	if (n % 2) {
		*reason = "not a key: an odd number of hex digits (two per byte)";
		return -EINVAL;
	}
	memcpy(key->hex, s, n);
	key->hex[n] = '\0';
	key->len = n;
	return 0;
}

void mosctl_key_wipe(struct mosctl_key *key)
{
	explicit_bzero(key, sizeof(*key));
}

int mosctl_key_load(const char *path, struct mosctl_key *key)
{
	/* one byte more than allowed: to tell "too large" */
	char buf[KEY_FILE_MAX + 1];
	const char *reason;
	ssize_t used;
	int fd, ret;

	memset(key, 0, sizeof(*key));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		mosctl_err("key file %s: %s", path, strerror(errno));
		return -1;
	}
	/* on the stack, not the heap: wiped below whatever happens */
	used = mosctl_read_full(fd, buf, sizeof(buf));
	close(fd);
	if (used < 0) {
		explicit_bzero(buf, sizeof(buf));
		mosctl_err("key file %s: %s", path, strerror((int)-used));
		return -1;
	}
	if (used > KEY_FILE_MAX) {
		explicit_bzero(buf, sizeof(buf));
		mosctl_err("key file %s: larger than %d bytes: not a key file", path,
			   KEY_FILE_MAX);
		return -1;
	}
	ret = mosctl_key_parse(buf, (size_t)used, key, &reason);
	explicit_bzero(buf, sizeof(buf));
	if (ret) {
		mosctl_err("key file %s: %s", path, reason);
		return -1;
	}
	return 0;
}
