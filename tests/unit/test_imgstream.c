// SPDX-License-Identifier: GPL-2.0
/*
 * The encrypted image stream (tools/mosctl/imgstream.c): round trips over a
 * memfd and a socketpair, the wire layout, and the receiver's refusals: wrong
 * key or move id, every byte flipped, every truncation, records moved,
 * the byte bound, bad names, forged but correctly encrypted streams that
 * break the format, data after the final record. After every refusal the
 * target directory must be empty. Forged streams are made here with
 * libsodium and the test's key, independently of the sender.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>
#include "imgstream.h"

#define SS(x)	crypto_secretstream_xchacha20poly1305_##x
#define MOVE	0x0123456789abcdefULL
#define BIG	(1u << 20)

static const uint8_t key[IMGSTREAM_KEY_LEN] = {
	0x6d, 0x6f, 0x73, 0x69, 0x78, 0x2d, 0x69, 0x6d,
	0x67, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x30, 0x31,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
};

static char base[64];
static int src = -1, dst = -1;	/* the sender's and the receiver's directories */

static void setup(void)
{
	char p[96];

	ck_assert_int_ge(sodium_init(), 0);
	umask(0);
	snprintf(base, sizeof(base), "/tmp/imgstream-unit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(p, sizeof(p), "%s/src", base);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	src = open(p, O_RDONLY | O_DIRECTORY);
	snprintf(p, sizeof(p), "%s/dst", base);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	dst = open(p, O_RDONLY | O_DIRECTORY);
	ck_assert(src >= 0 && dst >= 0);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void teardown(void)
{
	close(src);
	close(dst);
	if (nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS))
		fprintf(stderr, "cannot remove %s\n", base);
}

static void put_file(int dirfd, const char *name, const void *buf, size_t len, mode_t mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* name's contents in dirfd (free it), its size in *len and its mode in *mode */
static uint8_t *get_file(int dirfd, const char *name, size_t *len, mode_t *mode)
{
	int fd = openat(dirfd, name, O_RDONLY);
	struct stat sb;
	uint8_t *buf;

	ck_assert_msg(fd >= 0, "no file %s", name);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	ck_assert_int_eq(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	*mode = sb.st_mode & 07777;
	return buf;
}

static int count_entries(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY), n = 0;
	DIR *d = fdopendir(fd);
	struct dirent *de;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

#define ck_dir_empty(fd)	ck_assert_int_eq(count_entries(fd), 0)

/* an in-memory stream */
struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static int mem_fd(const uint8_t *p, size_t len)
{
	int fd = memfd_create("imgstream", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	if (len)
		ck_assert_int_eq(write(fd, p, len), (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* the stream src sends, in memory */
static struct buf send_src(const struct imgstream_opts *opts, struct imgstream_stats *st)
{
	int fd = mem_fd(NULL, 0);
	struct buf b = { 0 };
	char err[256];
	off_t len;
	int rc;

	rc = imgstream_send_dir_opts(fd, src, key, MOVE, opts, st, err, sizeof(err));
	ck_assert_msg(rc == 0, "send: %d %s", rc, err);
	len = lseek(fd, 0, SEEK_END);
	b.p = malloc((size_t)len + 1);
	b.len = b.cap = (size_t)len;
	ck_assert_int_eq(pread(fd, b.p, (size_t)len, 0), len);
	close(fd);
	return b;
}

static int recv_buf(const uint8_t *p, size_t len, const uint8_t *k, uint64_t move,
		    uint64_t max, struct imgstream_stats *st, char *err, size_t errlen)
{
	int fd = mem_fd(p, len), rc;

	rc = imgstream_recv_dir(fd, dst, k, move, max, st, err, errlen);
	close(fd);
	return rc;
}

/* a stream forged record by record, with the test's own encoder */
struct forge {
	struct buf b;
	SS(state) ss;
	uint8_t clear[IMGSTREAM_CLEAR_LEN];
};

static void be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void forge_begin(struct forge *f, uint64_t move)
{
	uint8_t h[IMGSTREAM_SS_HEADER_LEN];

	memset(f, 0, sizeof(*f));
	memcpy(f->clear, "MOSIXIMG", 8);
	be(f->clear + 8, 1, 2);
	be(f->clear + 16, move, 8);
	SS(init_push)(&f->ss, h, key);
	buf_add(&f->b, f->clear, sizeof(f->clear));
	buf_add(&f->b, h, sizeof(h));
}

static void forge_rec(struct forge *f, const uint8_t *pt, size_t len, uint8_t tag)
{
	uint8_t *c = malloc(len + SS(ABYTES)), l[4];
	unsigned long long clen;

	SS(push)(&f->ss, c, &clen, pt, len, f->clear, sizeof(f->clear), tag);
	be(l, clen, 4);
	buf_add(&f->b, l, 4);
	buf_add(&f->b, c, (size_t)clen);
	free(c);
}

static void forge_file_tag(struct forge *f, const char *name, size_t nlen, uint32_t mode,
			   uint64_t size, uint8_t tag)
{
	uint8_t pt[1 + 2 + 65535 + 12];

	pt[0] = IMGSTREAM_FILE;
	be(pt + 1, nlen, 2);
	memcpy(pt + 3, name, nlen);
	be(pt + 3 + nlen, mode, 4);
	be(pt + 7 + nlen, size, 8);
	forge_rec(f, pt, 15 + nlen, tag);
}

static void forge_file(struct forge *f, const char *name, uint64_t size)
{
	forge_file_tag(f, name, strlen(name), 0600, size, SS(TAG_MESSAGE));
}

static void forge_data(struct forge *f, const char *data, size_t len, uint8_t tag)
{
	uint8_t pt[1 + IMGSTREAM_CHUNK + 1];

	pt[0] = IMGSTREAM_DATA;
	memcpy(pt + 1, data, len);
	forge_rec(f, pt, 1 + len, tag);
}

static void forge_end(struct forge *f, uint32_t files, uint64_t bytes, uint8_t tag)
{
	uint8_t pt[13];

	pt[0] = IMGSTREAM_END;
	be(pt + 1, files, 4);
	be(pt + 5, bytes, 8);
	forge_rec(f, pt, sizeof(pt), tag);
}

/* the offsets of the records (their length fields) of a stream, and their count */
static size_t records(const struct buf *b, size_t off[], size_t max)
{
	size_t at = IMGSTREAM_HEADER_LEN, n = 0;

	while (at + 4 <= b->len && n < max) {
		off[n++] = at;
		at += 4 + ((size_t)b->p[at] << 24 | (size_t)b->p[at + 1] << 16 |
			   (size_t)b->p[at + 2] << 8 | b->p[at + 3]);
	}
	ck_assert_uint_eq(at, b->len);
	return n;
}

/* the small stream of several tests: "a" = "hello", "b" empty */
static struct buf small_stream(void)
{
	put_file(src, "a", "hello", 5, 0600);
	put_file(src, "b", "", 0, 0644);
	return send_src(NULL, NULL);
}

START_TEST(test_round_trip)
{
	static const struct { const char *name; size_t len; mode_t mode; } f[] = {
		{ "empty", 0, 0644 }, { "one", 1, 0600 }, { "chunk", 65536, 0755 },
		{ "chunk1", 65537, 0400 }, { "big.img", BIG + 123, 0640 }, { "x", 3, 0704 },
	};
	struct imgstream_stats s1, s2;
	uint64_t bytes = 0, wire = IMGSTREAM_HEADER_LEN + 4 + 17 + 13;
	uint8_t *data = malloc(BIG + 123 + 8);
	char err[256] = "untouched";
	struct buf b;
	size_t i;

	/* file i holds data + i */
	randombytes_buf(data, BIG + 123 + 8);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		put_file(src, f[i].name, data + i, f[i].len, f[i].mode);
		bytes += f[i].len;
		/* FILE, then one DATA record per chunk begun */
		wire += 4 + 17 + 15 + strlen(f[i].name);
		wire += (f[i].len + 65535) / 65536 * (4 + 17 + 1) + f[i].len;
	}
	b = send_src(NULL, &s1);
	ck_assert_uint_eq(s1.files, 6);
	ck_assert_uint_eq(s1.bytes, bytes);
	ck_assert_uint_eq(s1.wire_bytes, wire);
	ck_assert_uint_eq(b.len, wire);
	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, bytes, &s2, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(s2.files, 6);
	ck_assert_uint_eq(s2.bytes, bytes);
	ck_assert_uint_eq(s2.wire_bytes, wire);
	ck_assert_int_eq(count_entries(dst), 6);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		size_t len;
		mode_t mode;
		uint8_t *got = get_file(dst, f[i].name, &len, &mode);

		ck_assert_uint_eq(len, f[i].len);
		ck_assert(!memcmp(got, data + i, len));
		ck_assert_uint_eq(mode, f[i].mode & 0600);
		free(got);
	}
	free(b.p);
	free(data);
}
END_TEST

/* the same over a socketpair, the sender in a child: short reads, EOF by shutdown */
START_TEST(test_round_trip_socketpair)
{
	uint8_t *data = malloc(BIG);
	struct imgstream_stats st;
	int sv[2], status;
	char err[256];
	size_t len;
	mode_t mode;
	uint8_t *got;
	pid_t pid;

	randombytes_buf(data, BIG);
	put_file(src, "pages-1.img", data, BIG, 0600);
	put_file(src, "core-1.img", data, 100, 0600);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		char ack = 0;

		close(sv[0]);
		if (imgstream_send_dir(sv[1], src, key, MOVE, NULL, err, sizeof(err)))
			_exit(1);
		/*
		 * The child keeps its end open until the receiver's reply: only
		 * the sender's shutdown ends the stream, the other way stays open.
		 */
		_exit(read(sv[1], &ack, 1) == 1 && ack == 'k' ? 0 : 2);
	}
	close(sv[1]);
	ck_assert_msg(!imgstream_recv_dir(sv[0], dst, key, MOVE, 2 * BIG, &st, err, sizeof(err)),
		      "%s", err);
	ck_assert_int_eq(write(sv[0], "k", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(st.files, 2);
	ck_assert_uint_eq(st.bytes, BIG + 100);
	got = get_file(dst, "pages-1.img", &len, &mode);
	ck_assert_uint_eq(len, BIG);
	ck_assert(!memcmp(got, data, BIG));
	free(got);
	close(sv[0]);
	free(data);
}
END_TEST

START_TEST(test_empty_dir)
{
	struct imgstream_stats st;
	struct buf b = send_src(NULL, &st);
	char err[256];

	ck_assert_uint_eq(b.len, IMGSTREAM_HEADER_LEN + 4 + 17 + 13);
	ck_assert_uint_eq(st.files + st.bytes, 0);
	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, 0, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.wire_bytes, b.len);
	ck_dir_empty(dst);
	free(b.p);
}
END_TEST

START_TEST(test_wrong_key)
{
	struct buf b = small_stream();
	uint8_t k2[IMGSTREAM_KEY_LEN];
	char err[256];

	memcpy(k2, key, sizeof(k2));
	k2[31] ^= 1;
	ck_assert_int_eq(recv_buf(b.p, b.len, k2, MOVE, 100, NULL, err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(err, "stream: record 1 does not verify (wrong key, or changed on the way)");
	ck_dir_empty(dst);
	free(b.p);
}
END_TEST

START_TEST(test_wrong_move_id)
{
	struct buf b = small_stream();
	struct imgstream_stats st;
	char err[256];

	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE + 1, 100, &st, err, sizeof(err)), -EPROTO);
	ck_assert_str_eq(err, "stream: move id 0x0123456789abcdef is not the expected 0x0123456789abcdf0");
	/* refused on the clear header alone: not even the secretstream header read */
	ck_assert_uint_eq(st.wire_bytes, IMGSTREAM_CLEAR_LEN);
	ck_dir_empty(dst);
	free(b.p);
}
END_TEST

START_TEST(test_header_fields)
{
	static const struct { size_t off; const char *why; } c[] = {
		{ 0, "stream: not an image stream (bad magic)" },
		{ 9, "stream: version 254 is not supported (only 1)" },
		{ 11, "stream: header flags 0x1 and reserved 0x0 are not zero" },
		{ 15, "stream: header flags 0x0 and reserved 0x1 are not zero" },
	};
	struct buf b = small_stream();
	char err[256];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		b.p[c[i].off] ^= c[i].off == 9 ? 0xff : 1;
		ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, 100, NULL, err, sizeof(err)),
				 -EPROTO);
		ck_assert_str_eq(err, c[i].why);
		b.p[c[i].off] ^= c[i].off == 9 ? 0xff : 1;
	}
	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, 100, NULL, err, sizeof(err)), 0);
	free(b.p);
}
END_TEST

START_TEST(test_every_byte_flip)
{
	struct buf b = small_stream();
	size_t off[16], n = records(&b, off, 16), r;
	char err[256];

	ck_assert_uint_eq(n, 4);	/* FILE a, DATA, FILE b, END */
	for (int pass = 0; pass < 2; pass++) {
		uint8_t x = pass ? 0x01 : 0xff;

		for (size_t i = 0; i < b.len; i++) {
			bool is_len = false;
			int rc;

			for (r = 0; r < n; r++)
				is_len |= i >= off[r] && i < off[r] + 4;
			b.p[i] ^= x;
			rc = recv_buf(b.p, b.len, key, MOVE, 100, NULL, err, sizeof(err));
			b.p[i] ^= x;
			if (i < IMGSTREAM_CLEAR_LEN)
				ck_assert_msg(rc == -EPROTO, "byte %zu: %d %s", i, rc, err);
			else if (is_len)
				ck_assert_msg(rc < 0, "byte %zu: accepted", i);
			else
				ck_assert_msg(rc == -EBADMSG, "byte %zu: %d %s", i, rc, err);
			ck_dir_empty(dst);
		}
	}
	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, 100, NULL, err, sizeof(err)), 0);
	free(b.p);
}
END_TEST

START_TEST(test_every_truncation)
{
	struct buf b = small_stream();
	char err[256];

	for (size_t len = 0; len < b.len; len++) {
		int rc = recv_buf(b.p, len, key, MOVE, 100, NULL, err, sizeof(err));

		ck_assert_msg(rc == -ECONNRESET && strstr(err, "(truncated)"), "%zu bytes: %d %s",
			      len, rc, err);
		if (len >= IMGSTREAM_HEADER_LEN)
			ck_assert_str_eq(err, "stream: ended before its final record (truncated)");
		ck_dir_empty(dst);
	}
	free(b.p);
}
END_TEST

/* records swapped, repeated or left out: each breaks secretstream's sequence */
START_TEST(test_records_moved)
{
	static char data[65536 + 5];
	struct buf b, m;
	size_t off[8], n, l1, l2;
	char err[256];

	put_file(src, "a", data, sizeof(data), 0600);
	b = send_src(NULL, NULL);
	n = records(&b, off, 8);
	ck_assert_uint_eq(n, 4);	/* FILE, DATA 65536, DATA 5, END */
	l1 = off[2] - off[1];
	l2 = off[3] - off[2];
	m.p = malloc(b.len + l1);
	/* swapped */
	memcpy(m.p, b.p, off[1]);
	memcpy(m.p + off[1], b.p + off[2], l2);
	memcpy(m.p + off[1] + l2, b.p + off[1], l1);
	memcpy(m.p + off[3], b.p + off[3], b.len - off[3]);
	ck_assert_int_eq(recv_buf(m.p, b.len, key, MOVE, 1 << 20, NULL, err, sizeof(err)),
			 -EBADMSG);
	ck_assert_str_eq(err, "stream: record 2 does not verify (wrong key, or changed on the way)");
	ck_dir_empty(dst);
	/* the first DATA twice (the file is over-long by then: verification comes first) */
	memcpy(m.p, b.p, off[2]);
	memcpy(m.p + off[2], b.p + off[1], l1);
	memcpy(m.p + off[2] + l1, b.p + off[2], b.len - off[2]);
	ck_assert_int_eq(recv_buf(m.p, b.len + l1, key, MOVE, 1 << 20, NULL, err, sizeof(err)),
			 -EBADMSG);
	ck_assert_str_eq(err, "stream: record 3 does not verify (wrong key, or changed on the way)");
	ck_dir_empty(dst);
	/* the second DATA left out */
	memcpy(m.p, b.p, off[2]);
	memcpy(m.p + off[2], b.p + off[3], b.len - off[3]);
	ck_assert_int_eq(recv_buf(m.p, b.len - l2, key, MOVE, 1 << 20, NULL, err, sizeof(err)),
			 -EBADMSG);
	ck_dir_empty(dst);
	/* and the stream itself passes */
	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, 1 << 20, NULL, err, sizeof(err)), 0);
	free(m.p);
	free(b.p);
}
END_TEST

START_TEST(test_byte_bound)
{
	static char data[3000];
	struct buf b;
	char err[256];

	put_file(src, "a", data, 1000, 0600);
	put_file(src, "b", data, 2000, 0600);
	b = send_src(NULL, NULL);
	/* "a" fits and is written, "b" does not: "a" goes again */
	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, 2999, NULL, err, sizeof(err)), -EFBIG);
	ck_assert_str_eq(err, "stream: images exceed the bound of 2999 bytes (file \"b\" of 2000 bytes after 1000)");
	ck_dir_empty(dst);
	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, 999, NULL, err, sizeof(err)), -EFBIG);
	ck_dir_empty(dst);
	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, 0, NULL, err, sizeof(err)), -EFBIG);
	ck_dir_empty(dst);
	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, 3000, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(count_entries(dst), 2);
	free(b.p);
}
END_TEST

static const struct {
	const char *name;
	size_t len;
	const char *why;
} bad_names[] = {
	{ "..", 2, "stream: file name \"..\" is not a plain name" },
	{ ".", 1, "stream: file name \".\" is not a plain name" },
	{ "a/b", 3, "stream: file name \"a/b\" is not a plain name" },
	{ "../x", 4, "stream: file name \"../x\" is not a plain name" },
	{ "", 0, "stream: file name \"\" is not a plain name" },
	{ "a\0b", 3, "stream: file name \"a\\x00b\" is not a plain name" },
	{ NULL, 256, "stream: file name \"" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "...\" is not a plain name" },
	{ "a", 1, "stream: file name \"a\" comes twice" },
};

START_TEST(test_bad_name)
{
	char name[300], err[256];
	struct forge f;

	memset(name, 'a', sizeof(name));
	if (bad_names[_i].name)
		memcpy(name, bad_names[_i].name, bad_names[_i].len);
	forge_begin(&f, MOVE);
	/* a good file first: it must go again */
	forge_file(&f, "a", 2);
	forge_data(&f, "xy", 2, SS(TAG_MESSAGE));
	forge_file_tag(&f, name, bad_names[_i].len, 0600, 0, SS(TAG_MESSAGE));
	forge_end(&f, 2, 2, SS(TAG_FINAL));
	ck_assert_int_eq(recv_buf(f.b.p, f.b.len, key, MOVE, 100, NULL, err, sizeof(err)), -EPROTO);
	ck_assert_str_eq(err, bad_names[_i].why);
	ck_dir_empty(dst);
	free(f.b.p);
}
END_TEST

/* a name of 255 bytes, the longest, and odd but plain ones pass */
START_TEST(test_good_names)
{
	char name[256], err[256];
	struct forge f;

	memset(name, 'n', 255);
	name[255] = '\0';
	forge_begin(&f, MOVE);
	forge_file(&f, name, 0);
	forge_file(&f, "...", 0);
	forge_file(&f, " x\"\\\n", 0);
	forge_end(&f, 3, 0, SS(TAG_FINAL));
	ck_assert_msg(!recv_buf(f.b.p, f.b.len, key, MOVE, 0, NULL, err, sizeof(err)), "%s", err);
	ck_assert_int_eq(count_entries(dst), 3);
	free(f.b.p);
}
END_TEST

static const char *kinds[] = { "a directory", "a symbolic link", "a FIFO" };

START_TEST(test_sender_refuses_non_regular)
{
	char err[256], want[128];
	int fd = mem_fd(NULL, 0);

	put_file(src, "a", "x", 1, 0600);
	put_file(src, "z", "x", 1, 0600);
	if (_i == 0)
		ck_assert_int_eq(mkdirat(src, "sub", 0700), 0);
	else if (_i == 1)
		ck_assert_int_eq(symlinkat("a", src, "sub"), 0);
	else
		ck_assert_int_eq(mkfifoat(src, "sub", 0600), 0);
	ck_assert_int_eq(imgstream_send_dir(fd, src, key, MOVE, NULL, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "images: \"sub\" is %s, not a regular file", kinds[_i]);
	ck_assert_str_eq(err, want);
	/* refused before a byte was sent */
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
	close(fd);
}
END_TEST

START_TEST(test_data_after_final)
{
	struct buf b = small_stream();
	struct forge f;
	char err[256];

	buf_add(&b, "", 1);
	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, 100, NULL, err, sizeof(err)), -EPROTO);
	ck_assert_str_eq(err, "stream: data after the final record");
	ck_dir_empty(dst);
	/* a whole record after FINAL, correctly encrypted */
	forge_begin(&f, MOVE);
	forge_end(&f, 0, 0, SS(TAG_FINAL));
	forge_file(&f, "late", 0);
	ck_assert_int_eq(recv_buf(f.b.p, f.b.len, key, MOVE, 100, NULL, err, sizeof(err)), -EPROTO);
	ck_assert_str_eq(err, "stream: data after the final record");
	ck_dir_empty(dst);
	free(f.b.p);
	free(b.p);
}
END_TEST

/* correctly encrypted streams, each breaking one rule of the format */
static void forge_case(struct forge *f, int i)
{
	static char big[IMGSTREAM_REC_MAX + 1];
	uint8_t pt[32];
	int k;

	forge_begin(f, MOVE);
	switch (i) {
	case 0:	/* the control: all well */
		forge_file(f, "a", 3);
		forge_data(f, "abc", 3, SS(TAG_MESSAGE));
		forge_end(f, 1, 3, SS(TAG_FINAL));
		break;
	case 1:	/* data over the declared size */
		forge_file(f, "a", 3);
		forge_data(f, "abcd", 4, SS(TAG_MESSAGE));
		forge_end(f, 1, 4, SS(TAG_FINAL));
		break;
	case 2:	/* more data after the file is complete */
		forge_file(f, "a", 3);
		forge_data(f, "abc", 3, SS(TAG_MESSAGE));
		forge_data(f, "d", 1, SS(TAG_MESSAGE));
		forge_end(f, 1, 4, SS(TAG_FINAL));
		break;
	case 3:	/* END's file count */
		forge_file(f, "a", 3);
		forge_data(f, "abc", 3, SS(TAG_MESSAGE));
		forge_end(f, 2, 3, SS(TAG_FINAL));
		break;
	case 4:	/* END's byte count */
		forge_file(f, "a", 3);
		forge_data(f, "abc", 3, SS(TAG_MESSAGE));
		forge_end(f, 1, 2, SS(TAG_FINAL));
		break;
	case 5:	/* a new file before the current one is complete */
		forge_file(f, "a", 3);
		forge_data(f, "ab", 2, SS(TAG_MESSAGE));
		forge_file(f, "b", 0);
		forge_end(f, 2, 2, SS(TAG_FINAL));
		break;
	case 6:	/* END before the file is complete */
		forge_file(f, "a", 3);
		forge_data(f, "ab", 2, SS(TAG_MESSAGE));
		forge_end(f, 1, 2, SS(TAG_FINAL));
		break;
	case 7:	/* FINAL on a FILE record */
		forge_file_tag(f, "a", 1, 0600, 0, SS(TAG_FINAL));
		break;
	case 8:	/* END without FINAL (and nothing after) */
		forge_end(f, 0, 0, SS(TAG_MESSAGE));
		break;
	case 9:	/* PUSH on a DATA record */
		forge_file(f, "a", 3);
		forge_data(f, "abc", 3, SS(TAG_PUSH));
		forge_end(f, 1, 3, SS(TAG_FINAL));
		break;
	case 10: /* an unknown record type */
		pt[0] = 9;
		forge_rec(f, pt, 1, SS(TAG_MESSAGE));
		forge_end(f, 0, 0, SS(TAG_FINAL));
		break;
	case 11: /* a mode beyond the permission bits */
		forge_file_tag(f, "a", 1, 04600, 0, SS(TAG_MESSAGE));
		forge_end(f, 1, 0, SS(TAG_FINAL));
		break;
	case 12: /* an empty DATA record */
		forge_file(f, "a", 3);
		forge_data(f, "", 0, SS(TAG_MESSAGE));
		forge_data(f, "abc", 3, SS(TAG_MESSAGE));
		forge_end(f, 1, 3, SS(TAG_FINAL));
		break;
	case 13: /* data before any file */
		forge_data(f, "abc", 3, SS(TAG_MESSAGE));
		forge_end(f, 0, 0, SS(TAG_FINAL));
		break;
	case 14: /* an END of the wrong length */
		pt[0] = IMGSTREAM_END;
		memset(pt + 1, 0, 13);
		forge_rec(f, pt, 14, SS(TAG_FINAL));
		break;
	case 15: /* a FILE whose name length does not match the record */
		pt[0] = IMGSTREAM_FILE;
		be(pt + 1, 2, 2);
		memcpy(pt + 3, "a", 1);
		memset(pt + 4, 0, 12);
		forge_rec(f, pt, 16, SS(TAG_MESSAGE));
		break;
	case 16: /* a record length below the least */
		buf_add(&f->b, "\0\0\0\x11", 4);
		buf_add(&f->b, big, 17);
		break;
	case 17: /* a record length above the most */
		buf_add(&f->b, "\0\x01\0\x13", 4);
		buf_add(&f->b, big, IMGSTREAM_REC_MAX + 1);
		break;
	case 18: /* a DATA record of more than a chunk */
		forge_file(f, "a", IMGSTREAM_CHUNK + 1);
		forge_data(f, big, IMGSTREAM_CHUNK + 1, SS(TAG_MESSAGE));
		forge_end(f, 1, IMGSTREAM_CHUNK + 1, SS(TAG_FINAL));
		break;
	case 19: /* one file too many */
		for (k = 0; k <= IMGSTREAM_MAX_FILES; k++) {
			char n[16];

			snprintf(n, sizeof(n), "f%d", k);
			forge_file(f, n, 0);
		}
		forge_end(f, IMGSTREAM_MAX_FILES + 1, 0, SS(TAG_FINAL));
		break;
	}
}

static const char *forged_why[] = {
	"",
	"stream: record 2: data beyond the 3 bytes of file \"a\"",
	"stream: record 3: data beyond the 3 bytes of file \"a\"",
	"stream: the end record counts 2 files and 3 bytes, the stream held 1 and 3",
	"stream: the end record counts 1 files and 2 bytes, the stream held 1 and 3",
	"stream: file \"a\" ended after 2 of its 3 bytes",
	"stream: file \"a\" ended after 2 of its 3 bytes",
	"stream: record 1 (file) carries the tag FINAL",
	"stream: record 1 (end) carries the tag MESSAGE",
	"stream: record 2 (data) carries the tag PUSH",
	"stream: record 1 has the unknown type 9",
	"stream: file \"a\" has the mode 04600 (only permission bits allowed)",
	"stream: record 2: an empty data record",
	"stream: record 1: data before any file",
	"stream: record 1: an end record of 14 bytes (13 expected)",
	"stream: record 1: a file record of 16 bytes with a name of 2",
	"stream: record 1 has a length of 17 bytes (18..65554 allowed)",
	"stream: record 1 has a length of 65555 bytes (18..65554 allowed)",
	"stream: record 2 has a length of 65555 bytes (18..65554 allowed)",
	"stream: more than 4096 files",
};

START_TEST(test_forged_format)
{
	struct forge f;
	char err[256];
	int rc;

	forge_case(&f, _i);
	rc = recv_buf(f.b.p, f.b.len, key, MOVE, 1 << 20, NULL, err, sizeof(err));
	ck_assert_msg(rc == (_i ? -EPROTO : 0), "case %d: %d %s", _i, rc, err);
	ck_assert_str_eq(err, forged_why[_i]);
	ck_assert_int_eq(count_entries(dst), _i ? 0 : 1);
	free(f.b.p);
}
END_TEST

/* a file already in the target: refused, and kept as it was */
START_TEST(test_existing_file_kept)
{
	struct buf b = small_stream();
	size_t len;
	mode_t mode;
	uint8_t *got;
	char err[256];

	put_file(dst, "b", "mine", 4, 0640);
	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, 100, NULL, err, sizeof(err)), -EEXIST);
	ck_assert_str_eq(err, "images: \"b\" exists already in the target directory");
	ck_assert_int_eq(count_entries(dst), 1);
	got = get_file(dst, "b", &len, &mode);
	ck_assert(len == 4 && !memcmp(got, "mine", 4) && mode == 0640);
	free(got);
	/* a symbolic link of that name is not followed either */
	ck_assert_int_eq(unlinkat(dst, "b", 0), 0);
	ck_assert_int_eq(symlinkat("/tmp/imgstream-unit-nowhere", dst, "b"), 0);
	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, 100, NULL, err, sizeof(err)), -EEXIST);
	ck_assert_int_eq(access("/tmp/imgstream-unit-nowhere", F_OK), -1);
	free(b.p);
}
END_TEST

/* the FILE names of a stream in order, with the test's own decoder */
static int stream_names(const struct buf *b, char names[][16], int max)
{
	uint8_t *pt = malloc(IMGSTREAM_REC_MAX), tag;
	size_t at = IMGSTREAM_HEADER_LEN;
	unsigned long long mlen;
	SS(state) ss;
	int n = 0;

	ck_assert_int_eq(SS(init_pull)(&ss, b->p + IMGSTREAM_CLEAR_LEN, key), 0);
	while (at < b->len) {
		size_t clen = (size_t)b->p[at] << 24 | (size_t)b->p[at + 1] << 16 |
			      (size_t)b->p[at + 2] << 8 | b->p[at + 3];

		ck_assert_int_eq(SS(pull)(&ss, pt, &mlen, &tag, b->p + at + 4, clen, b->p,
					  IMGSTREAM_CLEAR_LEN), 0);
		if (pt[0] == IMGSTREAM_FILE && n < max)
			snprintf(names[n++], 16, "%.*s", pt[2], (char *)pt + 3);
		at += 4 + clen;
	}
	free(pt);
	return n;
}

START_TEST(test_sorted_and_deterministic)
{
	char names[8][16];
	struct buf b1, b2;

	put_file(src, "c", "3", 1, 0600);
	put_file(src, "a", "1", 1, 0600);
	put_file(src, "B", "2", 1, 0600);
	put_file(src, "b", "2", 1, 0600);
	b1 = send_src(NULL, NULL);
	b2 = send_src(NULL, NULL);
	ck_assert_int_eq(stream_names(&b1, names, 8), 4);
	ck_assert_str_eq(names[0], "B");
	ck_assert_str_eq(names[1], "a");
	ck_assert_str_eq(names[2], "b");
	ck_assert_str_eq(names[3], "c");
	/* same layout and clear header; a fresh nonce each time */
	ck_assert_uint_eq(b1.len, b2.len);
	ck_assert(!memcmp(b1.p, b2.p, IMGSTREAM_CLEAR_LEN));
	ck_assert(memcmp(b1.p + IMGSTREAM_CLEAR_LEN, b2.p + IMGSTREAM_CLEAR_LEN,
			 IMGSTREAM_SS_HEADER_LEN));
	free(b1.p);
	free(b2.p);
}
END_TEST

struct progress {
	int calls;
	uint64_t last, total;
	bool backwards;
};

static void on_progress(uint64_t done, uint64_t total, void *arg)
{
	struct progress *p = arg;

	if (p->calls && done < p->last)
		p->backwards = true;
	if (!p->calls && done)
		p->backwards = true;
	p->calls++;
	p->last = done;
	p->total = total;
}

START_TEST(test_progress_and_send_bound)
{
	static char data[200000];
	struct progress p = { 0 };
	struct imgstream_opts o = { .progress = on_progress, .arg = &p };
	struct buf b;
	char err[256];
	int fd;

	put_file(src, "a", data, sizeof(data), 0600);
	put_file(src, "b", data, 10, 0600);
	b = send_src(&o, NULL);
	/* 0, then 4 DATA records of a, 1 of b */
	ck_assert_int_eq(p.calls, 6);
	ck_assert(!p.backwards);
	ck_assert_uint_eq(p.last, sizeof(data) + 10);
	ck_assert_uint_eq(p.total, sizeof(data) + 10);
	free(b.p);
	/* the sender's own bound: nothing sent */
	o.max_bytes = sizeof(data) + 9;
	fd = mem_fd(NULL, 0);
	ck_assert_int_eq(imgstream_send_dir_opts(fd, src, key, MOVE, &o, NULL, err, sizeof(err)),
			 -EFBIG);
	ck_assert_str_eq(err, "images: 200010 bytes exceed the bound of 200009 bytes");
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
	close(fd);
}
END_TEST

/* the test hook: the byte at flip_at goes out inverted, the receiver refuses it */
START_TEST(test_flip_at)
{
	struct imgstream_opts o = { 0 };
	struct buf b;
	char err[256];
	size_t len;

	b = small_stream();
	len = b.len;
	free(b.p);
	for (uint64_t at = IMGSTREAM_HEADER_LEN; at < len; at++) {
		o.flip_at = at;
		b = send_src(&o, NULL);
		ck_assert_uint_eq(b.len, len);
		ck_assert_msg(recv_buf(b.p, b.len, key, MOVE, 100, NULL, err, sizeof(err)) < 0,
			      "flip at %llu: accepted", (unsigned long long)at);
		ck_dir_empty(dst);
		free(b.p);
	}
	/* past the end: nothing flipped */
	o.flip_at = len;
	b = send_src(&o, NULL);
	ck_assert_int_eq(recv_buf(b.p, b.len, key, MOVE, 100, NULL, err, sizeof(err)), 0);
	free(b.p);
}
END_TEST

/* a receiver gone: -EPIPE from the sender, not a SIGPIPE that kills it */
START_TEST(test_sender_peer_gone)
{
	static char data[300000];
	struct imgstream_stats st;
	char err[256];
	int sv[2];

	put_file(src, "a", data, sizeof(data), 0600);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[0]);
	ck_assert_int_eq(imgstream_send_dir(sv[1], src, key, MOVE, &st, err, sizeof(err)), -EPIPE);
	ck_assert_str_eq(err, "stream: cannot send: Broken pipe");
	close(sv[1]);
}
END_TEST

Suite *imgstream_suite(void);

Suite *imgstream_suite(void)
{
	Suite *s = suite_create("imgstream");
	TCase *rt = tcase_create("round trip"), *rx = tcase_create("refusals");
	TCase *tx = tcase_create("sender");

	tcase_add_checked_fixture(rt, setup, teardown);
	tcase_add_checked_fixture(rx, setup, teardown);
	tcase_add_checked_fixture(tx, setup, teardown);
	tcase_set_timeout(rt, 60);
	tcase_set_timeout(rx, 60);
	tcase_set_timeout(tx, 60);
	tcase_add_test(rt, test_round_trip);
	tcase_add_test(rt, test_round_trip_socketpair);
	tcase_add_test(rt, test_empty_dir);
	tcase_add_test(rt, test_good_names);
	tcase_add_test(rx, test_wrong_key);
	tcase_add_test(rx, test_wrong_move_id);
	tcase_add_test(rx, test_header_fields);
	tcase_add_test(rx, test_every_byte_flip);
	tcase_add_test(rx, test_every_truncation);
	tcase_add_test(rx, test_records_moved);
	tcase_add_test(rx, test_byte_bound);
	tcase_add_loop_test(rx, test_bad_name, 0, (int)(sizeof(bad_names) / sizeof(bad_names[0])));
	tcase_add_test(rx, test_data_after_final);
	tcase_add_loop_test(rx, test_forged_format, 0,
			    (int)(sizeof(forged_why) / sizeof(forged_why[0])));
	tcase_add_test(rx, test_existing_file_kept);
	tcase_add_loop_test(tx, test_sender_refuses_non_regular, 0,
			    (int)(sizeof(kinds) / sizeof(kinds[0])));
	tcase_add_test(tx, test_sorted_and_deterministic);
	tcase_add_test(tx, test_progress_and_send_bound);
	tcase_add_test(tx, test_sender_peer_gone);
	tcase_add_test(tx, test_flip_at);
	suite_add_tcase(s, rt);
	suite_add_tcase(s, rx);
	suite_add_tcase(s, tx);
	return s;
}
