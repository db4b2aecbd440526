/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mosctl: the userspace CLI of mosix. Interfaces between the files of the
 * tool, and what the unit tests (tests/unit/test_mosctl.c) drive directly.
 *
 * Errors are printed where they are found, as one line "mosctl: ..." on
 * stderr. No file keeps state between two calls of mosctl_main(): getopt
 * starts over and the environment is read on every use.
 */
#ifndef MOSCTL_H
#define MOSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "mosix_map.h"
#include "mosix_info.h"
#include "mosix_job.h"

#define MOSCTL_VERSION		"0.1.0"

/* exit status of mosctl_main() and of every command */
enum {
	MOSCTL_EXIT_OK = 0,
	MOSCTL_EXIT_FAIL = 1,	/* the command ran and failed */
	MOSCTL_EXIT_USAGE = 2,	/* bad command line; nothing was done */
	MOSCTL_EXIT_INTR = 130,	/* shutdown: interrupted by SIGINT, rolled back */
};

/* environment: configfs directory (default below) and generic netlink family */
#define MOSCTL_ENV_CONFIGFS	"MOSIX_CONFIGFS"
#define MOSCTL_CONFIGFS_DIR	"/sys/kernel/config/mosix"
#define MOSCTL_ENV_FAMILY	"MOSIX_GENL_FAMILY"
/* start: the directory of mosix.map and key (default below) */
#define MOSCTL_ENV_ETC		"MOSIX_ETC"
#define MOSCTL_ETC_DIR		"/etc/mosix"
/* start: the program that loads the module (default below), for tests */
#define MOSCTL_ENV_MODPROBE	"MOSIX_MODPROBE"
#define MOSCTL_MODPROBE		"/sbin/modprobe"
/* start: the directory of the saved boot epoch (default below); --state-dir wins */
#define MOSCTL_ENV_STATE_DIR	"MOSIX_STATE_DIR"
#define MOSCTL_STATE_DIR	"/var/lib/mosix"

/*
 * Boot epochs (include/uapi/linux/mosix.h defines both; these fallbacks
 * only serve a header older than the configfs file `epoch`): start saves
 * each boot's epoch and makes the next one at least MOSIX_EPOCH_STEP
 * larger, room for the kernel's own +1 per restart within one module load;
 * configfs `epoch` takes 1..MOSIX_EPOCH_MAX.
 */
#ifndef MOSIX_EPOCH_STEP
#define MOSIX_EPOCH_STEP	(1ULL << 20)
#endif
#ifndef MOSIX_EPOCH_MAX
#define MOSIX_EPOCH_MAX		((1ULL << 63) - 1)
#endif

/* util.c */
/* ' ', '\t', '\n', '\r' */
bool mosctl_is_blank(char c);
/* text[0..len) without the blanks at either end: its start, *n bytes */
const char *mosctl_trim(const char *text, size_t len, size_t *n);
/*
 * read(2) into buf until it is full or the file ends, retrying EINTR: the
 * bytes read, or -errno.
 */
ssize_t mosctl_read_full(int fd, char *buf, size_t size);
/*
 * The rest of fd, at most max bytes, NUL-terminated in *text (free it): 0,
 * -EFBIG if the file holds more, -ENOMEM, or read's -errno. A buffer freed
 * here is wiped first; with max below 64 KiB it never moves.
 */
int mosctl_read_all(int fd, size_t max, char **text, size_t *len);
/* a one-line reason into err (when err and errlen), and rc: the codecs' error return */
int mosctl_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* all of buf to fd, EINTR retried: 0 or -errno (-EIO: wrote nothing) */
int mosctl_write_full(int fd, const void *buf, size_t len);
/* text as path's new content, 0600, in place at once (PATH.new, then rename): 0 or -errno */
int mosctl_write_file(const char *path, const char *text, size_t len);
/* s[0..len) as a decimal u64, digits only: 0, -EINVAL or -ERANGE */
int mosctl_parse_u64(const char *s, size_t len, uint64_t *val);

/* cli.c */
int mosctl_main(int argc, char **argv);
/* "mosctl: " + message + "\n" on stderr */
void mosctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A usage error of command cmd (NULL: mosctl itself): prints
 * "mosctl: [CMD: ]MESSAGE (see 'mosctl help [CMD]')", returns
 * MOSCTL_EXIT_USAGE.
 */
int mosctl_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* the usage error for what getopt_long() returned as c ('?' or ':') */
int mosctl_bad_option(const char *cmd, char **argv, int c);
/*
 * A verb whose only option is --help, with at most max_args arguments: -1 to
 * go on (they are argv[optind..]), else the exit status (help shown, or a
 * usage error said).
 */
int mosctl_help_only(int argc, char **argv, int max_args);
/* the help of command cmd (NULL: of mosctl) to f */
void mosctl_help(const char *cmd, FILE *f);
/* each command: argv[0] is its name; returns an exit status */
int mosctl_cmd_setpe(int argc, char **argv);
int mosctl_cmd_status(int argc, char **argv);
int mosctl_cmd_isup(int argc, char **argv);
int mosctl_cmd_getload(int argc, char **argv);
int mosctl_cmd_getspeed(int argc, char **argv);
int mosctl_cmd_whois(int argc, char **argv);
int mosctl_cmd_block(int argc, char **argv);
int mosctl_cmd_noblock(int argc, char **argv);
int mosctl_cmd_expel(int argc, char **argv);
int mosctl_cmd_bring(int argc, char **argv);
int mosctl_cmd_shutdown(int argc, char **argv);
int mosctl_cmd_monitor(int argc, char **argv);
int mosctl_cmd_start(int argc, char **argv);
int mosctl_cmd_run(int argc, char **argv);
int mosctl_cmd_wait(int argc, char **argv);
int mosctl_cmd_ps(int argc, char **argv);
int mosctl_cmd_helper(int argc, char **argv);
int mosctl_cmd_migrate(int argc, char **argv);

/* configfs.c: files of the configfs directory (pe, table, state, key, epoch...) */
/* the directory: $MOSIX_CONFIGFS if set and not empty, else the default */
const char *mosctl_configfs_dir(void);
bool mosctl_configfs_present(void);
/*
 * Replace FILE with len bytes of text in one write(2). On error, prints
 * "mosctl: [WHAT: ]PATH: STRERROR (what it means for FILE)" and returns
 * -errno.
 */
int mosctl_configfs_write(const char *file, const char *text, size_t len,
			  const char *what);
/* whole FILE, NUL-terminated (free it); prints the error, returns -errno */
int mosctl_configfs_read(const char *file, char **text, size_t *len);
/* FILE holds one decimal number 0..max (blanks around it allowed) */
int mosctl_configfs_read_u32(const char *file, uint32_t max, uint32_t *val);
/*
 * FILE without a message (it may be missing): its first size - 1 bytes,
 * blanks around them removed, NUL-terminated in buf. 0 or -errno.
 */
int mosctl_configfs_read_quiet(const char *file, char *buf, size_t size);
/* this node's PE from configfs, 0 if it is off or cannot be read */
uint32_t mosctl_self_pe(void);
/* what errno err means for a write of value to FILE, or NULL */
const char *mosctl_configfs_explain(const char *file, int err,
				    const char *value, char *buf, size_t size);

/*
 * epoch.c: the boot epoch that start hands the module, kept across boots in
 * STATE_DIR/epoch (one decimal number). Each prints its errors ("mosctl:
 * start: ...") and returns 0 or -1, but mosctl_epoch_next().
 */
/* --state-dir if given (not empty), else $MOSIX_STATE_DIR, else the default */
const char *mosctl_state_dir(const char *option);
/* the saved epoch, 0 if there is no file; -1 if it cannot be read or parsed */
int mosctl_epoch_load(const char *dir, uint64_t *saved);
/* max(saved + MOSIX_EPOCH_STEP, proposal): 0, or -ERANGE past MOSIX_EPOCH_MAX */
int mosctl_epoch_next(uint64_t saved, uint64_t proposal, uint64_t *epoch);
/* mkdir -p dir (0755); it must be a writable directory */
int mosctl_state_dir_ready(const char *dir);
/* dir/epoch := epoch, durably: temporary file, fsync, rename, fsync of dir */
int mosctl_epoch_save(const char *dir, uint64_t epoch);
/*
 * For a node that is off, before its bring-up: the module's proposal from
 * configfs `epoch`, the next epoch, saved, then written to configfs
 * `epoch`. A module without that file (older than mosctl): a warning, 0.
 */
int mosctl_epoch_handover(const char *dir, uint64_t saved);

/* nl.c: the generic netlink family "mosix" over libmnl */
struct mnl_socket;
struct nlmsghdr;
struct mosctl_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	uint32_t events_group;	/* id of the "events" group, 0: none */
	char *buf;		/* receive buffer */
	size_t buf_size;
	char ext_msg[256];	/* extended ack message of the last reply */
	/* set: gets the kernel's unsolicited messages (seq 0) a reply wait meets */
	void (*unsolicited)(const struct nlmsghdr *nlh, void *arg);
	void *unsolicited_arg;
};

/* the counters of MOSIX_A_STATS */
#define MOSCTL_NR_DROPS		__MOSIX_INFO_DROP_MAX
struct mosctl_stats {
	uint64_t counter[MOSIX_STAT_DROP_BASE];	/* by enum mosix_stat */
	uint64_t drop[MOSCTL_NR_DROPS];		/* by enum mosix_info_drop */
};

struct mosctl_status {
	uint32_t state;		/* enum mosix_state */
	uint32_t pe;
	uint32_t nodes;
	uint32_t entries;
	uint32_t table_gen;
	/* the info daemon's part; has_info: the reply carried it */
	bool has_info;
	bool key_set;
	uint32_t info_interval_ms;
	uint32_t window;
	bool has_stats;
	struct mosctl_stats stats;
};

/* one node of the cluster view (MOSIX_CMD_GET_NODES), decoded */
struct mosctl_node {
	uint32_t pe;
	uint32_t status;	/* enum mosix_info_status; UNKNOWN: no data */
	bool self;
	uint32_t load;		/* load average x 1000 */
	uint32_t cpus;
	uint32_t util;		/* per mille */
	uint32_t speed;
	uint64_t mem_kb;
	uint64_t free_kb;
	uint32_t age_ms;
	/* a peer's traffic (MOSIX_A_NODE_TX_PACKETS...): absent for this node */
	bool has_traffic;
	uint64_t tx_packets;	/* datagrams sent to it */
	uint64_t rx_packets;	/* arrived from it, before the rate limit and tag */
	uint64_t rx_accepted;
};

struct mosctl_event;

/* the family name: $MOSIX_GENL_FAMILY if set (tests), else "mosix" */
const char *mosctl_nl_family_name(void);
/* 0, -ENOENT if the family does not exist, other -errno */
int mosctl_nl_open(struct mosctl_nl *nl);
void mosctl_nl_close(struct mosctl_nl *nl);
/*
 * A CTRL_CMD_GETFAMILY reply: the family id and the id of its multicast
 * group "events" (0 if it has none). 0 or -EBADMSG.
 */
int mosctl_nl_parse_family(const struct nlmsghdr *nlh, uint16_t *id,
			   uint32_t *events_group);
/*
 * Join the "events" group (NETLINK_ADD_MEMBERSHIP): 0, -ENOPROTOOPT if the
 * family has no such group, other -errno.
 */
int mosctl_nl_subscribe_events(struct mosctl_nl *nl);
/*
 * One non-blocking read of the events socket: each event to cb. The number
 * of events, -EAGAIN if nothing is waiting, -ENOBUFS if the kernel dropped
 * events (the receive buffer ran full), other -errno.
 */
int mosctl_nl_recv_events(struct mosctl_nl *nl,
			  void (*cb)(const struct mosctl_event *ev, void *data),
			  void *data);
/* "mosctl: WHAT: STRERROR[: kernel's extack message]" */
void mosctl_nl_perror(const struct mosctl_nl *nl, const char *what, int err);
/* the same for a dump, whose EAGAIN means it kept changing under the reads */
void mosctl_nl_dump_perror(const struct mosctl_nl *nl, const char *what, int err);
/*
 * mosctl_nl_open() for a command that needs the family: 0, or -1 with
 * "the mosix module is not loaded" or the error printed.
 */
int mosctl_nl_connect(struct mosctl_nl *nl);
/* an NLMSG_ERROR: 0 for an ack, else -errno; its extack message to ext_msg */
int mosctl_nl_parse_error(struct mosctl_nl *nl, const struct nlmsghdr *nlh);
int mosctl_nl_get_status(struct mosctl_nl *nl, struct mosctl_status *st);
/*
 * The attributes of one GET_STATUS reply / one GET_NODES dump message:
 * 0, or -EBADMSG for a missing or malformed attribute (unknown ones are
 * skipped, so a newer kernel may add some).
 */
int mosctl_nl_parse_status(const struct nlmsghdr *nlh, struct mosctl_status *st);
int mosctl_nl_parse_node(const struct nlmsghdr *nlh, struct mosctl_node *node);
/* MOSIX_CMD_GET_NODES dump, restarted when interrupted; free *nodes */
int mosctl_nl_get_nodes(struct mosctl_nl *nl, struct mosctl_node **nodes,
			size_t *n);
/* the whole text in one MOSIX_CMD_SET_TABLE message */
int mosctl_nl_set_table(struct mosctl_nl *nl, const char *text, size_t len);
/* MOSIX_CMD_GET_TABLE dump, restarted when interrupted; free *text */
int mosctl_nl_get_table(struct mosctl_nl *nl, char **text, size_t *len);
/*
 * Length of the next MOSIX_A_TABLE_TEXT chunk of text[0..len): the longest
 * run of whole lines of at most max bytes; max bytes when a single line is
 * longer than that (the kernel joins the chunks before it parses).
 */
size_t mosctl_table_chunk(const char *text, size_t len, size_t max);

/* one job of the registry (MOSIX_CMD_GET_JOBS), decoded; has_*: present */
struct mosctl_job {
	uint32_t home;
	uint32_t num;
	uint32_t where;
	uint32_t pid;
	uint32_t uid;
	uint32_t state;		/* enum mosix_job_state */
	uint32_t status;	/* wait(2) status, if has_status */
	uint64_t age_ms;
	bool has_pid, has_status;
	char name[MOSIX_JOB_NAME_MAX];
	char cmd[MOSIX_JOB_CMD_MAX];
};

/*
 * One GET_JOBS message: 0, or -EBADMSG (a required attribute missing or
 * malformed, a name or command line the kernel would not have accepted).
 */
int mosctl_nl_parse_job(const struct nlmsghdr *nlh, struct mosctl_job *job);
/* MOSIX_CMD_GET_JOBS dump; free *jobs */
int mosctl_nl_get_jobs(struct mosctl_nl *nl, struct mosctl_job **jobs,
		       size_t *n);
/* MOSIX_CMD_JOB_ADD: the id of the new job in *home, *num */
int mosctl_nl_job_add(struct mosctl_nl *nl, uint32_t pid, uint32_t uid,
		      const char *name, const char *cmd, uint32_t *home,
		      uint32_t *num);
/* MOSIX_CMD_JOB_EXIT; home 0: a job of this node (a guest's names its home) */
int mosctl_nl_job_exit(struct mosctl_nl *nl, uint32_t home, uint32_t num,
		       uint32_t status);
/* MOSIX_CMD_JOB_WHERE: job num of this node runs on where now */
int mosctl_nl_job_where(struct mosctl_nl *nl, uint32_t num, uint32_t where);
/* the migration helper's commands (migsvc.c; include/uapi/linux/mosix.h) */
int mosctl_nl_mig_helper(struct mosctl_nl *nl, uint16_t port, bool criu,
			 const char *text);
int mosctl_nl_mig_key(struct mosctl_nl *nl, uint64_t id, uint8_t key[MOSIX_MIG_KEY_LEN]);
int mosctl_nl_mig_report(struct mosctl_nl *nl, uint64_t id, uint32_t what,
			 uint32_t pid, const char *name, const char *cmd,
			 const char *text);
/* MOSIX_MIG_REPORT_PROGRESS: phase (enum mosix_mig_phase), bytes done of total */
int mosctl_nl_mig_progress(struct mosctl_nl *nl, uint64_t id, uint32_t phase,
			   uint64_t done, uint64_t total);
/* one MOSIX_CMD_MIG_WORK, decoded */
struct mosctl_mig_work {
	uint64_t id;
	uint32_t work;		/* enum mosix_mig_work */
	uint32_t home, num, uid;
	uint32_t port, pid;
	bool have_peer;
	struct mosix_addr peer;
	uint64_t image_kb;
};
/* 0, or -EBADMSG */
int mosctl_nl_parse_mig_work(const struct nlmsghdr *nlh, struct mosctl_mig_work *w);
/* MOSIX_CMD_MIGRATE: the move's id in *id (its end is a MIG_DONE event) */
int mosctl_nl_migrate(struct mosctl_nl *nl, uint32_t home, uint32_t num,
		      uint32_t to, uint64_t *id);

/* migrate.c: moves, for migrate and run --node */
/*
 * the request and event sockets, the events subscribed, SIGINT/SIGTERM
 * caught: 0, or -1 with the error printed (what names the command)
 */
int mosctl_moves_open(struct mosctl_nl *req, struct mosctl_nl *ev, const char *what);
void mosctl_moves_close(struct mosctl_nl *req, struct mosctl_nl *ev);
/*
 * Moves job HOME.NUM to node to and prints how it went on out ("job H.N
 * moved from node A to node B (T)" or "... stayed on node A: why (T)"; on
 * stderr after "mosctl: "), with the
 * progress on a terminal: 0 moved, 1 stayed, -1 an error (printed; what
 * names the command). A SIGINT or SIGTERM ends the wait (-1) unless finish:
 * then the move's end is waited for.
 */
int mosctl_move(struct mosctl_nl *req, struct mosctl_nl *ev, const char *what,
		uint32_t home, uint32_t num, uint32_t to, bool finish, FILE *out);
/* a SIGINT or SIGTERM came since mosctl_moves_open() */
bool mosctl_move_interrupted(void);

/* jobs.c: the registry read from userspace (ps, wait) */
/* a wait(2) status: "exited 3", "killed by SIGTERM", "killed by SIGSEGV (core dumped)" */
char *mosctl_fmt_wait_status(char *buf, size_t size, uint32_t status);
/* the exit status a shell gives for it: the code, or 128 + the signal */
int mosctl_wait_status_exit(uint32_t status);
/* "running", "exited" ("unknown" outside the enum) */
const char *mosctl_job_state_name(uint32_t state);
#define MOSCTL_PS_JSON	1u
/* the table (or JSON list) of `mosctl ps`; user names through getpwuid */
void mosctl_ps_print(FILE *f, const struct mosctl_job *jobs, size_t n,
		     unsigned int flags);

/*
 * request.c: what `mosctl run` and the root helper (`mosctl helper`) say to
 * each other over the helper's unix socket (SOCK_SEQPACKET: one message per
 * record). First the client's request: struct mosctl_req_hdr, then exactly
 * argc + envc NUL-terminated strings (the command, then its environment),
 * with four descriptors (SCM_RIGHTS): the working directory (O_PATH), the
 * job's stdin, stdout and stderr. Then struct mosctl_msg records both ways.
 * The helper believes nothing of it but the socket's peer credentials.
 */
#define MOSCTL_ENV_HELPER_SOCKET	"MOSIX_HELPER_SOCKET"
#define MOSCTL_HELPER_SOCKET	"/run/mosix/helper.sock"
/* the helpers' private folders (root only): moves' images, the jobs' relay tickets */
#define MOSCTL_RUN_DIR		"/run/mosix"
#define MOSCTL_RELAY_DIR	MOSCTL_RUN_DIR "/relay"
/* each job's init works in a folder of its own here, its owner's (jobinit.c) */
#define MOSCTL_JOBS_DIR		MOSCTL_RUN_DIR "/jobs"
/* the migration helper's TCP port for image streams (mosctl helper --mig-port) */
#define MOSCTL_MIG_PORT_DEFAULT	7311
#define MOSCTL_REQ_MAGIC	0x4d585251u	/* "MXRQ" */
#define MOSCTL_REQ_VERSION	1
#define MOSCTL_REQ_MAX		(256 * 1024)	/* the whole request */
#define MOSCTL_REQ_FDS		4	/* cwd, stdin, stdout, stderr */
#define MOSCTL_REQ_DETACH	1u	/* no SIGHUP when the client goes */

struct mosctl_req_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t flags;
	uint64_t sigign;	/* bit N-1: signal N ignored, as exec passes it on */
	uint32_t umask;
	uint32_t argc;
	uint32_t envc;
	char name[MOSIX_JOB_NAME_MAX];	/* "" : named after the command */
	uint32_t reserved;	/* 0 */
};

struct mosctl_run_req {
	unsigned int flags;
	uint64_t sigign;
	uint32_t umask;
	char name[MOSIX_JOB_NAME_MAX];	/* valid (mosix_job_name_check) */
	char cmd[MOSIX_JOB_CMD_MAX];	/* the command line, for ps */
	char **argv;			/* NULL-terminated, into buf */
	char **envp;
	char *buf;
};

enum mosctl_msg_type {
	MOSCTL_MSG_STARTED = 1,	/* helper: the job runs; a = home, b = num */
	MOSCTL_MSG_EXITED,	/* helper: a = its wait(2) status */
	MOSCTL_MSG_ERROR,	/* helper: nothing runs; a = errno, text why */
	MOSCTL_MSG_SIGNAL,	/* client: deliver signal a to the job */
};

#define MOSCTL_MSG_TEXT_MAX	200
struct mosctl_msg {
	uint32_t magic;
	uint16_t type;
	uint16_t pad;
	uint32_t a, b;
	char text[MOSCTL_MSG_TEXT_MAX];	/* NUL-terminated */
};

/* the helper's socket: $MOSIX_HELPER_SOCKET if set and not empty, else the default */
const char *mosctl_helper_socket(void);
/* migsvc.c: the migration helper's process (never returns); criu's action script */
void mosctl_migsvc_run(uint16_t port) __attribute__((noreturn));
int mosctl_cmd_mig_hook(int argc, char **argv);
/* the request for argv/envp, in *out (free it): 0, -E2BIG, -ENOMEM, -EINVAL */
int mosctl_req_encode(const char *name, unsigned int flags, uint64_t sigign,
		      uint32_t umask,
		      char *const argv[], char *const envp[], char **out,
		      size_t *len);
/*
 * A request as received: 0, or -EPROTO (not one: magic, version, size) /
 * -EINVAL (malformed) with *reason. Free with mosctl_req_free().
 */
int mosctl_req_decode(const void *msg, size_t len, struct mosctl_run_req *req,
		      const char **reason);
void mosctl_req_free(struct mosctl_run_req *req);
/* a job name from the command: the file name, other characters as '_' */
void mosctl_job_default_name(const char *argv0, char *name);
/* argv joined by spaces, control characters as '?', cut to fit ps */
void mosctl_job_cmdline(char *const argv[], char *cmd);
/* a record: 0, or -EPROTO with *reason */
int mosctl_msg_check(const struct mosctl_msg *m, size_t len, const char **reason);

/*
 * keeper.c: one job's keeper, forked by the helper for each connection:
 * starts the job in a PID namespace of its own, registers it with the
 * kernel, relays its stdio and signals, reports its end. Never returns.
 */
void mosctl_keeper(int conn) __attribute__((noreturn));
/*
 * jobinit.c: the job namespace's PID 1, run in the keeper's child: waits for
 * the go byte on go_fd, starts the command as the user, forwards every
 * signal to it, reaps, and writes to status_fd: READY once it runs as the
 * owner, then the command's wait status (or why it could not start).
 */
struct mosctl_jobinit {
	int go_fd, status_fd;
	int cwd_fd, stdio[3];		/* the job's */
	const char *init_dir;		/* the init's own working folder (MOSCTL_JOBS_DIR/...) */
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	const struct mosctl_run_req *req;
};

/* what the init writes to status_fd, once */
enum {
	MOSCTL_JOBINIT_READY = 1,	/* first: it runs as the owner */
	MOSCTL_JOBINIT_EXITED,		/* value: the command's wait status */
	MOSCTL_JOBINIT_EXEC_FAILED,	/* value: exec's errno */
	MOSCTL_JOBINIT_SETUP_FAILED,	/* value: errno (credentials, fork) */
	/* not the init's: a relay's end elsewhere says the job runs there (value: PE) */
	MOSCTL_STATUS_RUNS_ON = 100,
};

struct mosctl_jobinit_status {
	uint32_t kind;
	uint32_t value;
};

void mosctl_jobinit(const struct mosctl_jobinit *ji) __attribute__((noreturn));

/* local.c: which PE of a map is this machine */
struct mosctl_match {
	uint32_t pe;
	struct mosix_addr addr;
};

/* the machine's IPv4 and IPv6 interface addresses (getifaddrs); free *addrs */
int mosctl_local_addrs(struct mosix_addr **addrs, size_t *n);
/*
 * The (PE, address) pairs of the map that hold one of addrs, without
 * duplicates, in matches[] (room for n) and *nmatches. Returns 0 and sets
 * *pe if they all name one PE, -ENOENT if none, -ENOTUNIQ if several.
 */
int mosctl_pick_pe(const struct mosix_map *map, const struct mosix_addr *addrs,
		   size_t n, uint32_t *pe, struct mosctl_match *matches,
		   size_t *nmatches);

/*
 * key.c: the cluster key file. It holds the key as MOSCTL_KEY_HEX_MIN..MAX
 * hex digits (an even number), blanks and newlines around them allowed,
 * nothing else. The digits go to configfs `key` as they are.
 */
#define MOSCTL_KEY_HEX_MIN	(2 * MOSIX_KEY_MIN)
#define MOSCTL_KEY_HEX_MAX	(2 * MOSIX_KEY_MAX)
struct mosctl_key {
	char hex[MOSCTL_KEY_HEX_MAX + 1];	/* NUL-terminated */
	size_t len;
};

/*
 * The key in text[0..len): 0, or -EINVAL with *reason (static, never shows
 * key material) telling what is wrong.
 */
int mosctl_key_parse(const char *text, size_t len, struct mosctl_key *key,
		     const char **reason);
/* read and parse the file; errors "mosctl: PATH: ..." printed; 0 or -1 */
int mosctl_key_load(const char *path, struct mosctl_key *key);
/* overwrite the key in memory */
void mosctl_key_wipe(struct mosctl_key *key);

/*
 * setpe.c, shared with start: a map file read and validated (errors
 * "mosctl: MAP:LINE: REASON" printed; 0 or -1), this node's PE in it (the
 * errors name pe_option, the option that would give the PE), and the
 * installation of its text as the node table (netlink, else configfs).
 */
struct mosctl_map_file {
	const char *name;	/* for messages: the path or <stdin> */
	char *text;
	size_t len;
	struct mosix_map map;
};

int mosctl_map_file_load(const char *path, struct mosctl_map_file *m);
void mosctl_map_file_free(struct mosctl_map_file *m);
int mosctl_find_own_pe(const struct mosctl_map_file *m, const char *pe_option,
		       uint32_t *pe);
int mosctl_install_table(const struct mosctl_map_file *m);

/* events.c: the events of the multicast group "events" */
struct mosctl_event {
	uint32_t kind;		/* enum mosix_event_kind */
	uint32_t op;		/* enum mosix_event_op */
	char stage[32];		/* characters other than [A-Za-z0-9._-] as '?' */
	uint32_t duration_us;
	uint32_t err;		/* positive errno */
	uint32_t state;		/* enum mosix_state */
	uint32_t pe;
	/* MOSIX_EVENT_JOB_EXITED; MOSIX_EVENT_MIG_DONE (no status) */
	uint32_t job_home, job_num, job_uid, job_status;
	/* MOSIX_EVENT_MIG_DONE; MOSIX_EVENT_MIG_PROGRESS (id, to) */
	uint64_t mig_id;
	uint32_t mig_from, mig_to, mig_outcome, mig_reason;
	/* MOSIX_EVENT_MIG_PROGRESS */
	uint32_t mig_phase;
	uint64_t mig_done, mig_total;
	bool has_op, has_stage, has_duration, has_errno, has_state, has_pe;
	bool has_job, has_mig;
};

/*
 * One MOSIX_CMD_EVENT message: 0; -ENOMSG for another command; -EBADMSG if
 * malformed (no kind, a stage event without its stage, a wrong size, a
 * stage name of 32 bytes or more). Unknown attributes are skipped.
 */
int mosctl_event_parse(const struct nlmsghdr *nlh, struct mosctl_event *ev);
/* "dumping", "streaming", "restoring" */
const char *mosctl_mig_phase_name(uint32_t phase);
/*
 * A move's progress for people: the phase, and while streaming "streaming
 * D of T MiB" (one decimal), with ", R MiB/s" when rate (bytes a second) is
 * not 0. Returns buf.
 */
char *mosctl_fmt_progress(char *buf, size_t size, uint32_t phase, uint64_t done,
			  uint64_t total, uint64_t rate);
/* each event of family among the messages of buf to cb; returns how many */
int mosctl_events_dispatch(const void *buf, size_t len, uint16_t family,
			   void (*cb)(const struct mosctl_event *ev, void *data),
			   void *data);
/* "stage-begin", "stage-done", "stage-failed", "stage-undone", "state" */
const char *mosctl_event_kind_name(uint32_t kind);
/* "bringup", "shutdown", "none" ("unknown" outside the enum) */
const char *mosctl_event_op_name(uint32_t op);

#define MOSCTL_EVENTS_JSON	1u	/* one JSON object per line */
#define MOSCTL_EVENTS_OP	2u	/* text: "shutdown: " before a stage */
/*
 * Text: "STAGE ..." at its begin, completed on the same line by its outcome
 * (" done (0.3 ms)", " FAILED: REASON", " undone (0.1 ms)") unless another
 * event comes between; "state: STATE (PE N)". Flushed after every event.
 */
struct mosctl_event_printer {
	FILE *f;
	unsigned int flags;
	bool open;		/* a "STAGE ..." line waits for its outcome */
	char stage[32];
	uint32_t op;
};

void mosctl_event_printer_init(struct mosctl_event_printer *p, FILE *f,
			       unsigned int flags);
void mosctl_event_print(struct mosctl_event_printer *p,
			const struct mosctl_event *ev);
/* finish a line left open */
void mosctl_event_printer_end(struct mosctl_event_printer *p);

/* "ETIMEDOUT" (also the kernel's own codes, e.g. ENOTSUPP), else "errno N" in buf */
const char *mosctl_errno_name(int err, char *buf, size_t size);
/* "ETIMEDOUT", "-110" or "110" -> 110; 0 if unknown */
int mosctl_errno_from_name(const char *name);
/* microseconds -> "0.3 ms", "999.9 ms", "30.0 s" */
char *mosctl_fmt_duration(char *buf, size_t size, uint32_t us);

/* configfs last_shutdown: none | ok | rolled-back stage=NAME error=ERRNO-NAME */
enum mosctl_last_result {
	MOSCTL_LAST_NONE,
	MOSCTL_LAST_OK,
	MOSCTL_LAST_ROLLED_BACK,
};

struct mosctl_last_shutdown {
	enum mosctl_last_result result;
	char stage[32];		/* for ROLLED_BACK */
	char error[32];		/* the name as written, e.g. "ETIMEDOUT" */
	int err;		/* its errno, 0 if unknown to mosctl */
};

/* 0, or -EINVAL if text (blanks around it allowed) is none of the above */
int mosctl_last_shutdown_parse(const char *text, size_t len,
			       struct mosctl_last_shutdown *ls);

/* shutdown.c: what the shutdown command concludes once the write returned */
struct mosctl_shutdown_outcome {
	int err;		/* errno of the write of 0 to pe, 0: success */
	int signo;		/* the signal that interrupted it, 0: none */
	uint32_t pe;		/* the PE before the shutdown */
	/* the first stage that failed, from the events */
	bool failed_seen;
	char failed_stage[32];
	uint32_t failed_err;
	/* configfs after the write: last_shutdown and state (NULL: unreadable) */
	const char *last_shutdown;
	const char *state;
	uint32_t timeout_ms;	/* shutdown_timeout_ms, 0: unknown */
};

/*
 * The final lines ("node left the cluster" on out; the failure, its stage
 * and reason and the rollback as one "mosctl: " line on err) and the exit
 * status: 0, 1, or 128 + the signal (130 for SIGINT).
 */
int mosctl_shutdown_conclude(FILE *out, FILE *err,
			     const struct mosctl_shutdown_outcome *o);

/* status.c */
const char *mosctl_state_name(uint32_t state);
/* "up", "down", "leaving", "unknown" (also for a value outside the enum) */
const char *mosctl_node_status_name(uint32_t status);

/*
 * The nodes shown by status: the view's nodes merged with the table's, by
 * PE. A table of at most MOSCTL_VIEW_TABLE_MAX nodes is listed whole (the
 * nodes the view does not hold as unknown); of a larger one only the view's
 * nodes are, and `unlisted` counts the others.
 */
#define MOSCTL_VIEW_TABLE_MAX	1024
struct mosctl_view {
	struct mosctl_node *node;
	size_t nr;
	uint32_t unlisted;
};

/*
 * From n decoded dump messages and the table (map NULL: not read; then
 * table_nodes, the node count of the status reply, gives `unlisted`).
 * 0 or -ENOMEM; free with mosctl_view_free().
 */
int mosctl_view_build(struct mosctl_view *v, const struct mosctl_node *dump,
		      size_t n, const struct mosix_map *map,
		      uint32_t table_nodes);
void mosctl_view_free(struct mosctl_view *v);
/* the node pe of the view, or NULL */
const struct mosctl_node *mosctl_view_find(const struct mosctl_view *v,
					   uint32_t pe);

/* number formats of the table; each returns buf */
/* x1000 -> "0.25" (2 decimals, rounded) */
char *mosctl_fmt_load(char *buf, size_t size, uint32_t load);
/* KiB -> "512KiB", "900MiB", "7.7GiB", "1.5TiB" */
char *mosctl_fmt_kib(char *buf, size_t size, uint64_t kib);
/* ms -> "12.3s" (1 decimal, rounded) */
char *mosctl_fmt_age(char *buf, size_t size, uint32_t ms);
/* exact decimal of v / div (div 10, 100, 1000...), no trailing zeros: JSON */
char *mosctl_fmt_fixed(char *buf, size_t size, uint64_t v, uint32_t div);
/* s as a JSON string, quotes included */
void mosctl_json_str(FILE *f, const char *s);

#define MOSCTL_PRINT_JSON	1u
#define MOSCTL_PRINT_VERBOSE	2u	/* every drop reason, not only non-zero */
/* view NULL: no node information (printed as an empty list) */
void mosctl_status_print(FILE *f, const struct mosctl_status *st,
			 const struct mosctl_view *view, unsigned int flags);

/* cluster.c: the installed table, from netlink or else configfs */
/* prints the error; 0 or -1. free *text */
int mosctl_read_table(char **text, size_t *len);
/* the installed table, parsed; prints the error; 0 or -1 */
int mosctl_load_table(struct mosix_map *map);
/* the same over netlink only, on an open socket */
int mosctl_nl_load_table(struct mosctl_nl *nl, struct mosix_map *map);
/* "1..65535" as a PE; false if not */
bool mosctl_parse_pe(const char *s, uint32_t *pe);

#endif /* MOSCTL_H */
