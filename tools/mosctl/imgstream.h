/* SPDX-License-Identifier: GPL-2.0 */
/*
 * imgstream: a process image (a flat directory of CRIU image files) from one
 * node's helper to another's over a stream fd (TCP socket, socketpair, pipe),
 * encrypted and authenticated with libsodium's
 * crypto_secretstream_xchacha20poly1305 under a 32-byte one-time key that
 * both sides already hold (the kernel derived it for this move).
 *
 * Wire format, all integers big-endian:
 *
 *   clear header, 24 bytes:
 *	magic "MOSIXIMG" (8) | version u16 = 1 | flags u16 = 0 |
 *	reserved u32 = 0 | move id u64
 *   secretstream header, 24 bytes (crypto_secretstream_..._HEADERBYTES)
 *   records, each:
 *	length u32 (of the ciphertext: 1 + ABYTES .. IMGSTREAM_REC_MAX)
 *	ciphertext (crypto_secretstream_..._push of the plaintext, with the
 *	24-byte clear header as additional data: a changed move id or version
 *	fails authentication even past the receiver's own header check)
 *
 *   plaintext of a record: type u8, then by type
 *	FILE  name length u16 (1..255) | name | mode u32 (only bits of 0777) |
 *	      size u64. A plain name: no '/', no NUL, not "." nor "..", not
 *	      seen before in the stream (CRIU's images directory is flat).
 *	DATA  1..IMGSTREAM_CHUNK bytes of the current file, in order; a file's
 *	      DATA records add up to exactly its size (none for an empty file)
 *	END   file count u32 | file data bytes u64
 *   Every record but END carries TAG_MESSAGE, END carries TAG_FINAL. At most
 *   IMGSTREAM_MAX_FILES files. Records are numbered from 1 in the reasons.
 *
 * The stream is the whole of the sending direction of fd: the sender shuts
 * down the write side of a socket after END (a pipe's writer closes it), and
 * the receiver, once END verified, reads on to end of file: a byte after the
 * final record fails the stream (-EPROTO, "data after the final record").
 * So the receiver accepts exactly one stream and nothing appended to it; a
 * reply on the other direction of a socket is still possible.
 *
 * The receiver writes each file with O_CREAT|O_EXCL|O_NOFOLLOW and the mode
 * mode & 0600 of the stream (and the umask): images hold secrets, they are
 * never group or world readable, nor executable.
 *
 * Both sides return 0 or a negative errno with a one-line reason in err:
 *	-EBADMSG	a record does not verify (wrong key, changed on the way,
 *			reordered, dropped or repeated records)
 *	-EPROTO		a format error: header, move id, lengths, types, tags,
 *			names, modes, sizes, counts, too many files, data after END
 *	-EFBIG		the file data exceed max_bytes (checked before writing)
 *	-ECONNRESET	the stream ended before its final record (truncated)
 *	-EEXIST		the target directory has a file of that name already
 *	other		local I/O (-EIO, -ENOSPC, ...) or the fd's own errors
 * On any failure the receiver has removed every file it created (and only
 * those). Plain read/write loops, EINTR retried, no threads. Writes to a
 * socket use MSG_NOSIGNAL; a caller writing to a pipe ignores SIGPIPE.
 */
#ifndef IMGSTREAM_H
#define IMGSTREAM_H

#include <stddef.h>
#include <stdint.h>

#define IMGSTREAM_MAGIC		"MOSIXIMG"
#define IMGSTREAM_VERSION	1
#define IMGSTREAM_KEY_LEN	32
#define IMGSTREAM_CLEAR_LEN	24
/* crypto_secretstream_xchacha20poly1305_HEADERBYTES, _ABYTES (asserted in imgstream.c) */
#define IMGSTREAM_SS_HEADER_LEN	24
#define IMGSTREAM_ABYTES	17
#define IMGSTREAM_HEADER_LEN	(IMGSTREAM_CLEAR_LEN + IMGSTREAM_SS_HEADER_LEN)
/* the most file data in one DATA record */
#define IMGSTREAM_CHUNK		65536
/* the largest ciphertext of a record: type byte + a chunk + ABYTES */
#define IMGSTREAM_REC_MAX	(1 + IMGSTREAM_CHUNK + IMGSTREAM_ABYTES)
#define IMGSTREAM_NAME_MAX	255
#define IMGSTREAM_MAX_FILES	4096

enum imgstream_type {
	IMGSTREAM_FILE = 1,
	IMGSTREAM_DATA = 2,
	IMGSTREAM_END = 3,
};

/* what a call did (so far, on failure) */
struct imgstream_stats {
	uint64_t files;		/* FILE records sent / received */
	uint64_t bytes;		/* file data bytes */
	uint64_t wire_bytes;	/* bytes written to / read from fd, header included */
};

/* the sender's options; NULL or all zero: none */
struct imgstream_opts {
	/*
	 * Called once after the header with done = 0, then after every DATA
	 * record: file data bytes sent so far, of total.
	 */
	void (*progress)(uint64_t done, uint64_t total, void *arg);
	void *arg;
	/* not 0: refuse (-EFBIG, nothing sent) a directory of more file data */
	uint64_t max_bytes;
	/*
	 * A test hook: not 0, the byte at wire offset flip_at (past the
	 * header) goes out inverted, as a fault on the way would alter it.
	 */
	uint64_t flip_at;
};

/*
 * Send every regular file of dirfd, sorted by name (bytewise), as one stream
 * to fd for move_id, then shut down fd's write side if it is a socket.
 * Anything else in dirfd (a directory, symbolic link, FIFO...) refuses the
 * whole directory before a byte is sent, with a reason naming it. st may be
 * NULL. dirfd is not moved nor closed.
 */
int imgstream_send_dir(int fd, int dirfd, const uint8_t key[IMGSTREAM_KEY_LEN],
		       uint64_t move_id, struct imgstream_stats *st,
		       char *err, size_t errlen);
int imgstream_send_dir_opts(int fd, int dirfd, const uint8_t key[IMGSTREAM_KEY_LEN],
			    uint64_t move_id, const struct imgstream_opts *opts,
			    struct imgstream_stats *st, char *err, size_t errlen);

/*
 * Receive one stream of move_id from fd into dirfd: at most max_bytes of
 * file data in all and IMGSTREAM_MAX_FILES files. 0 only when the final
 * record verified, every file is complete, END's counts match and fd ended
 * right after it; on failure no file of the stream is left in dirfd.
 */
int imgstream_recv_dir(int fd, int dirfd, const uint8_t key[IMGSTREAM_KEY_LEN],
		       uint64_t move_id, uint64_t max_bytes,
		       struct imgstream_stats *st, char *err, size_t errlen);

#endif /* IMGSTREAM_H */
