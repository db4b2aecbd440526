// SPDX-License-Identifier: GPL-2.0
/*
 * The encrypted image stream of a migration: a flat directory of CRIU image
 * files, sent and received over a stream fd with libsodium's secretstream.
 * Format and contract in imgstream.h. Self-contained (libc and libsodium
 * only) so that the unit tests and the fuzzer take it alone.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "imgstream.h"
#include "mosctl.h"	/* mosctl_read_full(), mosctl_fail() */
#include "mosix_be.h"

#define SS(x)	crypto_secretstream_xchacha20poly1305_##x

_Static_assert(IMGSTREAM_SS_HEADER_LEN == SS(HEADERBYTES), "secretstream header length");
_Static_assert(IMGSTREAM_ABYTES == SS(ABYTES), "secretstream overhead");
_Static_assert(IMGSTREAM_KEY_LEN == SS(KEYBYTES), "secretstream key length");
_Static_assert(sizeof(IMGSTREAM_MAGIC) - 1 == 8, "magic length");

/* the largest plaintext of a record, and the plaintext lengths of FILE and END */
#define PT_MAX			(1 + IMGSTREAM_CHUNK)
#define FILE_PT_LEN(n)		(1 + 2 + (size_t)(n) + 4 + 8)
#define END_PT_LEN		(1 + 4 + 8)
#define REC_MIN			(1 + IMGSTREAM_ABYTES)
/* a name in a reason: up to this many bytes of it, escaped */
#define QUOTE_MAX		48
#define QUOTE_BUF		(QUOTE_MAX * 4 + 4)

static int lib_init(char *err, size_t errlen)
{
	/* 0: done now, 1: done before */
	if (sodium_init() < 0)
		return mosctl_fail(err, errlen, -EIO, "stream: libsodium does not initialise");
	return 0;
}

/* s[0..n) printable for a reason: \xNN for the rest, "..." past QUOTE_MAX bytes */
static const char *quote(const uint8_t *s, size_t n, char buf[QUOTE_BUF])
{
	size_t i, o = 0;

	for (i = 0; i < n && i < QUOTE_MAX; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			buf[o++] = (char)s[i];
		else
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", s[i]);
	}
	if (n > QUOTE_MAX)
		o += (size_t)snprintf(buf + o, 4, "...");
	buf[o] = '\0';
	return buf;
}

/* one name of a flat directory; duplicates are found by O_EXCL */
static bool name_ok(const uint8_t *s, size_t n)
{
	if (n < 1 || n > IMGSTREAM_NAME_MAX)
		return false;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	return !memchr(s, '/', n) && !memchr(s, '\0', n);
}

/*
 * All of buf to fd: send(MSG_NOSIGNAL) while fd is a socket (a closed peer
 * is -EPIPE, not a signal), write(2) once it is known not to be one.
 */
static int write_all(int fd, const void *buf, size_t len, bool *nosock)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n;

		if (!*nosock) {
			n = send(fd, p, len, MSG_NOSIGNAL);
			if (n < 0 && errno == ENOTSOCK) {
				*nosock = true;
				continue;
			}
		} else {
			n = write(fd, p, len);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void clear_header(uint8_t clear[IMGSTREAM_CLEAR_LEN], uint64_t move_id)
{
	memcpy(clear, IMGSTREAM_MAGIC, 8);
	put_be16(clear + 8, IMGSTREAM_VERSION);
	put_be16(clear + 10, 0);
	put_be32(clear + 12, 0);
	put_be64(clear + 16, move_id);
}

/* ---- sender ---- */

struct ent {
	char *name;
	uint64_t size;
};

struct tx {
	int fd;
	bool nosock;
	SS(state) ss;
	uint8_t clear[IMGSTREAM_CLEAR_LEN];
	uint8_t *pt;		/* PT_MAX */
	uint8_t *wire;		/* length + ciphertext */
	struct imgstream_stats *st;
	const struct imgstream_opts *opts;
	uint64_t total;
};

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

static const char *kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	return "a device";
}

static void free_ents(struct ent *ents, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
}

/* the regular files of dirfd, sorted, and their total size; anything else refuses */
static int list_dir(int dirfd, struct ent **out, size_t *count, uint64_t *total,
		    char *err, size_t errlen)
{
	char q[QUOTE_BUF];
	struct ent *ents = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct stat sb;
	int dfd, rc = 0;
	DIR *d;

	*total = 0;
	/* a descriptor of our own: closedir closes it, dirfd stays as it was */
	dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return mosctl_fail(err, errlen, -errno, "images: cannot open the directory: %s",
			    strerror(errno));
	d = fdopendir(dfd);
	if (!d) {
		rc = -errno;
		close(dfd);
		return mosctl_fail(err, errlen, rc, "images: cannot read the directory: %s",
			    strerror(-rc));
	}
	for (;;) {
		size_t len;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				rc = mosctl_fail(err, errlen, -errno,
					  "images: cannot read the directory: %s", strerror(errno));
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		len = strlen(de->d_name);
		quote((const uint8_t *)de->d_name, len, q);
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW)) {
			rc = mosctl_fail(err, errlen, -errno, "images: cannot stat \"%s\": %s", q,
				  strerror(errno));
			break;
		}
		if (!S_ISREG(sb.st_mode)) {
			rc = mosctl_fail(err, errlen, -EINVAL, "images: \"%s\" is %s, not a regular file",
				  q, kind(sb.st_mode));
			break;
		}
		if (!name_ok((const uint8_t *)de->d_name, len)) {
			rc = mosctl_fail(err, errlen, -EINVAL, "images: \"%s\" is not a plain name", q);
			break;
		}
		if (n == IMGSTREAM_MAX_FILES) {
			rc = mosctl_fail(err, errlen, -EFBIG, "images: more than %d files",
				  IMGSTREAM_MAX_FILES);
			break;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct ent *p = realloc(ents, ncap * sizeof(*ents));

			if (!p) {
				rc = mosctl_fail(err, errlen, -ENOMEM, "images: out of memory");
				break;
			}
			ents = p;
			cap = ncap;
		}
		ents[n].name = strdup(de->d_name);
		if (!ents[n].name) {
			rc = mosctl_fail(err, errlen, -ENOMEM, "images: out of memory");
			break;
		}
		ents[n].size = (uint64_t)sb.st_size;
		n++;
		*total += (uint64_t)sb.st_size;
	}
	closedir(d);
	if (rc) {
		free_ents(ents, n);
		return rc;
	}
	if (n)
		qsort(ents, n, sizeof(*ents), cmp_ent);
	*out = ents;
	*count = n;
	return 0;
}

/* encrypt tx->pt[0..len) as the next record and send it */
static int tx_record(struct tx *t, size_t len, uint8_t tag, char *err, size_t errlen)
{
	unsigned long long clen;
	int rc;

	SS(push)(&t->ss, t->wire + 4, &clen, t->pt, len, t->clear, sizeof(t->clear), tag);
	put_be32(t->wire, (uint32_t)clen);
	if (t->opts && t->opts->flip_at >= t->st->wire_bytes &&
	    t->opts->flip_at < t->st->wire_bytes + 4 + clen)
		t->wire[t->opts->flip_at - t->st->wire_bytes] ^= 0xff;
	rc = write_all(t->fd, t->wire, 4 + (size_t)clen, &t->nosock);
	if (rc)
		return mosctl_fail(err, errlen, rc, "stream: cannot send: %s", strerror(-rc));
	t->st->wire_bytes += 4 + clen;
	return 0;
}

static int tx_file(struct tx *t, int dirfd, const struct ent *e, char *err, size_t errlen)
{
	size_t nlen = strlen(e->name);
	uint64_t left = e->size;
	char q[QUOTE_BUF];
	struct stat sb;
	int ffd, rc = 0;
	ssize_t n;

	quote((const uint8_t *)e->name, nlen, q);
	/* O_NONBLOCK: something swapped in for the file must not hang the open */
	ffd = openat(dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (ffd < 0)
		return mosctl_fail(err, errlen, -errno, "images: cannot open \"%s\": %s", q,
			    strerror(errno));
	if (fstat(ffd, &sb)) {
		rc = mosctl_fail(err, errlen, -errno, "images: cannot stat \"%s\": %s", q,
			  strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != e->size) {
		rc = mosctl_fail(err, errlen, -EIO, "images: \"%s\" changed while being sent", q);
		goto out;
	}
	t->pt[0] = IMGSTREAM_FILE;
	put_be16(t->pt + 1, (uint16_t)nlen);
	memcpy(t->pt + 3, e->name, nlen);
	put_be32(t->pt + 3 + nlen, (uint32_t)(sb.st_mode & 0777));
	put_be64(t->pt + 7 + nlen, e->size);
	rc = tx_record(t, FILE_PT_LEN(nlen), SS(TAG_MESSAGE), err, errlen);
	if (rc)
		goto out;
	t->st->files++;
	while (left) {
		size_t chunk = left < IMGSTREAM_CHUNK ? (size_t)left : IMGSTREAM_CHUNK;

		n = mosctl_read_full(ffd, (char *)t->pt + 1, chunk);
		if (n < 0) {
			rc = mosctl_fail(err, errlen, (int)n, "images: cannot read \"%s\": %s", q,
				  strerror((int)-n));
			goto out;
		}
		if ((size_t)n < chunk) {
			rc = mosctl_fail(err, errlen, -EIO, "images: \"%s\" shrank while being sent", q);
			goto out;
		}
		t->pt[0] = IMGSTREAM_DATA;
		rc = tx_record(t, 1 + chunk, SS(TAG_MESSAGE), err, errlen);
		if (rc)
			goto out;
		left -= chunk;
		t->st->bytes += chunk;
		if (t->opts && t->opts->progress)
			t->opts->progress(t->st->bytes, t->total, t->opts->arg);
	}
	/* END counts the sizes announced: a file that grew would not match them */
	n = mosctl_read_full(ffd, (char *)t->pt, 1);
	if (n)
		rc = mosctl_fail(err, errlen, n < 0 ? (int)n : -EIO,
			  "images: \"%s\" grew while being sent", q);
out:
	close(ffd);
	return rc;
}

int imgstream_send_dir_opts(int fd, int dirfd, const uint8_t key[IMGSTREAM_KEY_LEN],
			    uint64_t move_id, const struct imgstream_opts *opts,
			    struct imgstream_stats *st, char *err, size_t errlen)
{
	uint8_t hdr[IMGSTREAM_HEADER_LEN];
	struct imgstream_stats dummy;
	struct tx t = { .fd = fd, .opts = opts };
	struct ent *ents = NULL;
	size_t n = 0, i;
	int rc;

	t.st = st ? st : &dummy;
	memset(t.st, 0, sizeof(*t.st));
	if (err && errlen)
		err[0] = '\0';
	rc = lib_init(err, errlen);
	if (rc)
		return rc;
	rc = list_dir(dirfd, &ents, &n, &t.total, err, errlen);
	if (rc)
		return rc;
	if (opts && opts->max_bytes && t.total > opts->max_bytes) {
		rc = mosctl_fail(err, errlen, -EFBIG,
			  "images: %llu bytes exceed the bound of %llu bytes",
			  (unsigned long long)t.total, (unsigned long long)opts->max_bytes);
		goto out;
	}
	t.pt = malloc(PT_MAX);
	t.wire = malloc(4 + IMGSTREAM_REC_MAX);
	if (!t.pt || !t.wire) {
		rc = mosctl_fail(err, errlen, -ENOMEM, "stream: out of memory");
		goto out;
	}
	clear_header(t.clear, move_id);
	memcpy(hdr, t.clear, IMGSTREAM_CLEAR_LEN);
	SS(init_push)(&t.ss, hdr + IMGSTREAM_CLEAR_LEN, key);
	rc = write_all(fd, hdr, sizeof(hdr), &t.nosock);
	if (rc) {
		mosctl_fail(err, errlen, rc, "stream: cannot send: %s", strerror(-rc));
		goto out;
	}
	t.st->wire_bytes = sizeof(hdr);
	if (opts && opts->progress)
		opts->progress(0, t.total, opts->arg);
	for (i = 0; i < n; i++) {
		rc = tx_file(&t, dirfd, &ents[i], err, errlen);
		if (rc)
			goto out;
	}
	t.pt[0] = IMGSTREAM_END;
	put_be32(t.pt + 1, (uint32_t)n);
	put_be64(t.pt + 5, t.st->bytes);
	rc = tx_record(&t, END_PT_LEN, SS(TAG_FINAL), err, errlen);
	if (rc)
		goto out;
	/* the receiver reads to end of file after END: give it one */
	if (!t.nosock && shutdown(fd, SHUT_WR) && errno != ENOTSOCK)
		rc = mosctl_fail(err, errlen, -errno, "stream: cannot shut the socket down: %s",
			  strerror(errno));
out:
	sodium_memzero(&t.ss, sizeof(t.ss));
	if (t.pt) {
		sodium_memzero(t.pt, PT_MAX);
		free(t.pt);
	}
	if (t.wire) {
		sodium_memzero(t.wire, 4 + IMGSTREAM_REC_MAX);
		free(t.wire);
	}
	free_ents(ents, n);
	return rc;
}

int imgstream_send_dir(int fd, int dirfd, const uint8_t key[IMGSTREAM_KEY_LEN],
		       uint64_t move_id, struct imgstream_stats *st,
		       char *err, size_t errlen)
{
	return imgstream_send_dir_opts(fd, dirfd, key, move_id, NULL, st, err, errlen);
}

/* ---- receiver ---- */

struct rx {
	int fd;
	int dirfd;
	SS(state) ss;
	uint8_t clear[IMGSTREAM_CLEAR_LEN];
	uint8_t *ct;		/* IMGSTREAM_REC_MAX */
	uint8_t *pt;		/* PT_MAX */
	size_t ptlen;
	uint8_t tag;
	uint64_t rec;		/* number of the last record read, from 1 */
	/* the files created, for the clean-up of a failure */
	char **names;
	size_t nfiles;
	/* the current file: its descriptor (-1: none open), size and what is left */
	int ffd;
	uint64_t size, left;
	uint64_t declared;	/* sum of the sizes of the FILE records so far */
	uint64_t max_bytes;
	struct imgstream_stats *st;
};

static const char *type_name(uint8_t type)
{
	switch (type) {
	case IMGSTREAM_FILE:
		return "file";
	case IMGSTREAM_DATA:
		return "data";
	case IMGSTREAM_END:
		return "end";
	}
	return "unknown";
}

static const char *tag_name(uint8_t tag)
{
	switch (tag) {
	case SS(TAG_MESSAGE):
		return "MESSAGE";
	case SS(TAG_PUSH):
		return "PUSH";
	case SS(TAG_REKEY):
		return "REKEY";
	case SS(TAG_FINAL):
		return "FINAL";
	}
	return "unknown";
}

static const char *cur_name(const struct rx *r, char q[QUOTE_BUF])
{
	const char *s = r->names[r->nfiles - 1];

	return quote((const uint8_t *)s, strlen(s), q);
}

/* exactly len bytes of the stream, or a reason: truncated, or read's error */
static int rx_read(struct rx *r, void *buf, size_t len, const char *where,
		   char *err, size_t errlen)
{
	ssize_t n = mosctl_read_full(r->fd, (char *)buf, len);

	if (n < 0)
		return mosctl_fail(err, errlen, (int)n, "stream: cannot receive: %s", strerror((int)-n));
	r->st->wire_bytes += (uint64_t)n;
	if ((size_t)n < len)
		return mosctl_fail(err, errlen, -ECONNRESET, "stream: ended %s (truncated)", where);
	return 0;
}

static int rx_header(struct rx *r, const uint8_t *key, uint64_t move_id,
		     char *err, size_t errlen)
{
	uint8_t ssh[IMGSTREAM_SS_HEADER_LEN];
	uint16_t version, flags;
	uint32_t reserved;
	uint64_t id;
	int rc;

	rc = rx_read(r, r->clear, sizeof(r->clear), "in its header", err, errlen);
	if (rc)
		return rc;
	if (memcmp(r->clear, IMGSTREAM_MAGIC, 8))
		return mosctl_fail(err, errlen, -EPROTO, "stream: not an image stream (bad magic)");
	version = get_be16(r->clear + 8);
	flags = get_be16(r->clear + 10);
	reserved = get_be32(r->clear + 12);
	id = get_be64(r->clear + 16);
	if (version != IMGSTREAM_VERSION)
		return mosctl_fail(err, errlen, -EPROTO, "stream: version %u is not supported (only %d)",
			    version, IMGSTREAM_VERSION);
	if (flags || reserved)
		return mosctl_fail(err, errlen, -EPROTO,
			    "stream: header flags 0x%x and reserved 0x%x are not zero",
			    flags, reserved);
	/* before any decryption: a stream of another move is refused as such */
	if (id != move_id)
		return mosctl_fail(err, errlen, -EPROTO,
			    "stream: move id 0x%016llx is not the expected 0x%016llx",
			    (unsigned long long)id, (unsigned long long)move_id);
	rc = rx_read(r, ssh, sizeof(ssh), "in its header", err, errlen);
	if (rc)
		return rc;
	if (SS(init_pull)(&r->ss, ssh, key))
		return mosctl_fail(err, errlen, -EBADMSG, "stream: its secretstream header is invalid");
	return 0;
}

/* the next record, verified and decrypted into r->pt[0..r->ptlen), r->tag */
static int rx_record(struct rx *r, char *err, size_t errlen)
{
	unsigned long long mlen;
	uint8_t lenbuf[4];
	uint32_t clen;
	int rc;

	r->rec++;
	rc = rx_read(r, lenbuf, 4, "before its final record", err, errlen);
	if (rc)
		return rc;
	clen = get_be32(lenbuf);
	if (clen < REC_MIN || clen > IMGSTREAM_REC_MAX)
		return mosctl_fail(err, errlen, -EPROTO,
			    "stream: record %llu has a length of %u bytes (%d..%d allowed)",
			    (unsigned long long)r->rec, clen, REC_MIN, IMGSTREAM_REC_MAX);
	rc = rx_read(r, r->ct, clen, "before its final record", err, errlen);
	if (rc)
		return rc;
	if (SS(pull)(&r->ss, r->pt, &mlen, &r->tag, r->ct, clen, r->clear, sizeof(r->clear)))
		return mosctl_fail(err, errlen, -EBADMSG,
			    "stream: record %llu does not verify (wrong key, or changed on the way)",
			    (unsigned long long)r->rec);
	r->ptlen = (size_t)mlen;
	return 0;
}

/* the current file is complete: close it */
static int rx_file_done(struct rx *r, char *err, size_t errlen)
{
	char q[QUOTE_BUF];
	int fd = r->ffd;

	r->ffd = -1;
	if (close(fd))
		return mosctl_fail(err, errlen, -errno, "images: cannot write \"%s\": %s",
			    cur_name(r, q), strerror(errno));
	return 0;
}

static int rx_file(struct rx *r, char *err, size_t errlen)
{
	const uint8_t *name = r->pt + 3;
	char q[QUOTE_BUF];
	uint16_t nlen;
	uint32_t mode;
	uint64_t size;
	int rc;

	if (r->ptlen < FILE_PT_LEN(0))
		return mosctl_fail(err, errlen, -EPROTO, "stream: record %llu: a file record of %zu bytes",
			    (unsigned long long)r->rec, r->ptlen);
	nlen = get_be16(r->pt + 1);
	if (r->ptlen != FILE_PT_LEN(nlen))
		return mosctl_fail(err, errlen, -EPROTO,
			    "stream: record %llu: a file record of %zu bytes with a name of %u",
			    (unsigned long long)r->rec, r->ptlen, nlen);
	quote(name, nlen, q);
	if (!name_ok(name, nlen))
		return mosctl_fail(err, errlen, -EPROTO,
			    "stream: file name \"%s\" is not a plain name", q);
	mode = get_be32(name + nlen);
	size = get_be64(name + nlen + 4);
	if (mode & ~0777u)
		return mosctl_fail(err, errlen, -EPROTO,
			    "stream: file \"%s\" has the mode 0%o (only permission bits allowed)",
			    q, mode);
	if (r->nfiles == IMGSTREAM_MAX_FILES)
		return mosctl_fail(err, errlen, -EPROTO, "stream: more than %d files",
			    IMGSTREAM_MAX_FILES);
	/* the bound before a byte of the file is written, on the sizes announced */
	if (size > r->max_bytes - r->declared)
		return mosctl_fail(err, errlen, -EFBIG,
			    "stream: images exceed the bound of %llu bytes (file \"%s\" of %llu bytes after %llu)",
			    (unsigned long long)r->max_bytes, q, (unsigned long long)size,
			    (unsigned long long)r->declared);
	r->names[r->nfiles] = strndup((const char *)name, nlen);
	if (!r->names[r->nfiles])
		return mosctl_fail(err, errlen, -ENOMEM, "stream: out of memory");
	r->ffd = openat(r->dirfd, r->names[r->nfiles],
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0600);
	if (r->ffd < 0) {
		rc = -errno;
		free(r->names[r->nfiles]);
		r->names[r->nfiles] = NULL;
		if (rc != -EEXIST)
			return mosctl_fail(err, errlen, rc, "images: cannot create \"%s\": %s", q,
				    strerror(-rc));
		for (size_t i = 0; i < r->nfiles; i++)
			if (strlen(r->names[i]) == nlen && !memcmp(r->names[i], name, nlen))
				return mosctl_fail(err, errlen, -EPROTO,
					    "stream: file name \"%s\" comes twice", q);
		return mosctl_fail(err, errlen, -EEXIST,
			    "images: \"%s\" exists already in the target directory", q);
	}
	r->nfiles++;
	r->declared += size;
	r->size = size;
	r->left = size;
	r->st->files++;
	return size ? 0 : rx_file_done(r, err, errlen);
}

static int rx_data(struct rx *r, char *err, size_t errlen)
{
	size_t len = r->ptlen - 1;
	const uint8_t *p = r->pt + 1;
	char q[QUOTE_BUF];

	if (!len)
		return mosctl_fail(err, errlen, -EPROTO, "stream: record %llu: an empty data record",
			    (unsigned long long)r->rec);
	if (!r->nfiles)
		return mosctl_fail(err, errlen, -EPROTO, "stream: record %llu: data before any file",
			    (unsigned long long)r->rec);
	if (len > r->left)
		return mosctl_fail(err, errlen, -EPROTO,
			    "stream: record %llu: data beyond the %llu bytes of file \"%s\"",
			    (unsigned long long)r->rec, (unsigned long long)r->size,
			    cur_name(r, q));
	while (len) {
		ssize_t n = write(r->ffd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return mosctl_fail(err, errlen, n < 0 ? -errno : -EIO,
				    "images: cannot write \"%s\": %s", cur_name(r, q),
				    n < 0 ? strerror(errno) : "no progress");
		p += n;
		len -= (size_t)n;
		r->left -= (uint64_t)n;
		r->st->bytes += (uint64_t)n;
	}
	return r->left ? 0 : rx_file_done(r, err, errlen);
}

static int rx_end(struct rx *r, char *err, size_t errlen)
{
	uint32_t files;
	uint64_t bytes;
	uint8_t extra;
	ssize_t n;

	if (r->ptlen != END_PT_LEN)
		return mosctl_fail(err, errlen, -EPROTO,
			    "stream: record %llu: an end record of %zu bytes (%d expected)",
			    (unsigned long long)r->rec, r->ptlen, END_PT_LEN);
	files = get_be32(r->pt + 1);
	bytes = get_be64(r->pt + 5);
	if (files != r->st->files || bytes != r->st->bytes)
		return mosctl_fail(err, errlen, -EPROTO,
			    "stream: the end record counts %u files and %llu bytes, the stream held %llu and %llu",
			    files, (unsigned long long)bytes, (unsigned long long)r->st->files,
			    (unsigned long long)r->st->bytes);
	/* one stream per fd: a byte after FINAL is something the sender did not sign off */
	n = mosctl_read_full(r->fd, (char *)&extra, 1);
	if (n < 0)
		return mosctl_fail(err, errlen, (int)n, "stream: cannot receive: %s", strerror((int)-n));
	if (n) {
		r->st->wire_bytes++;
		return mosctl_fail(err, errlen, -EPROTO, "stream: data after the final record");
	}
	return 0;
}

int imgstream_recv_dir(int fd, int dirfd, const uint8_t key[IMGSTREAM_KEY_LEN],
		       uint64_t move_id, uint64_t max_bytes,
		       struct imgstream_stats *st, char *err, size_t errlen)
{
	struct imgstream_stats dummy;
	struct rx r = { .fd = fd, .dirfd = dirfd, .ffd = -1, .max_bytes = max_bytes };
	char q[QUOTE_BUF];
	uint8_t type;
	int rc;

	r.st = st ? st : &dummy;
	memset(r.st, 0, sizeof(*r.st));
	if (err && errlen)
		err[0] = '\0';
	rc = lib_init(err, errlen);
	if (rc)
		return rc;
	r.ct = malloc(IMGSTREAM_REC_MAX);
	r.pt = malloc(PT_MAX);
	r.names = calloc(IMGSTREAM_MAX_FILES, sizeof(*r.names));
	if (!r.ct || !r.pt || !r.names) {
		rc = mosctl_fail(err, errlen, -ENOMEM, "stream: out of memory");
		goto out;
	}
	rc = rx_header(&r, key, move_id, err, errlen);
	for (type = 0; !rc && type != IMGSTREAM_END;) {
		rc = rx_record(&r, err, errlen);
		if (rc)
			break;
		type = r.pt[0];
		if (type < IMGSTREAM_FILE || type > IMGSTREAM_END) {
			rc = mosctl_fail(err, errlen, -EPROTO,
				  "stream: record %llu has the unknown type %u",
				  (unsigned long long)r.rec, type);
			break;
		}
		if (r.tag != (type == IMGSTREAM_END ? SS(TAG_FINAL) : SS(TAG_MESSAGE))) {
			rc = mosctl_fail(err, errlen, -EPROTO,
				  "stream: record %llu (%s) carries the tag %s",
				  (unsigned long long)r.rec, type_name(type), tag_name(r.tag));
			break;
		}
		/* a new file, or the end, only once the current file is complete */
		if (type != IMGSTREAM_DATA && r.ffd >= 0) {
			rc = mosctl_fail(err, errlen, -EPROTO,
				  "stream: file \"%s\" ended after %llu of its %llu bytes",
				  cur_name(&r, q), (unsigned long long)(r.size - r.left),
				  (unsigned long long)r.size);
			break;
		}
		if (type == IMGSTREAM_FILE)
			rc = rx_file(&r, err, errlen);
		else if (type == IMGSTREAM_DATA)
			rc = rx_data(&r, err, errlen);
		else
			rc = rx_end(&r, err, errlen);
	}
out:
	if (r.ffd >= 0)
		close(r.ffd);
	for (size_t i = 0; r.names && i < r.nfiles; i++) {
		/* nothing half-received stays */
		if (rc)
			unlinkat(dirfd, r.names[i], 0);
		free(r.names[i]);
	}
	free(r.names);
	sodium_memzero(&r.ss, sizeof(r.ss));
	if (r.pt) {
		sodium_memzero(r.pt, PT_MAX);
		free(r.pt);
	}
	if (r.ct) {
		sodium_memzero(r.ct, IMGSTREAM_REC_MAX);
		free(r.ct);
	}
	return rc;
}
