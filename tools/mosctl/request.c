// SPDX-License-Identifier: GPL-2.0
/*
 * The records between `mosctl run` and the root helper: encoding on the
 * client's side, and a decoding on the helper's that trusts no length,
 * count or string of what a local user sent (tests/unit drives both).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mosctl.h"

const char *mosctl_helper_socket(void)
{
	const char *path = getenv(MOSCTL_ENV_HELPER_SOCKET);

	return path && *path ? path : MOSCTL_HELPER_SOCKET;
}

static size_t strings_size(char *const v[], uint32_t *count)
{
	size_t size = 0;

	*count = 0;
	for (; v && *v; v++) {
		size += strlen(*v) + 1;
		(*count)++;
		if (size > MOSCTL_REQ_MAX)
			break;
	}
	return size;
}

int mosctl_req_encode(const char *name, unsigned int flags, uint64_t sigign,
		      uint32_t umask, char *const argv[], char *const envp[],
		      char **out, size_t *len)
{
	struct mosctl_req_hdr hdr;
	uint32_t argc, envc;
	size_t asize = strings_size(argv, &argc), esize = strings_size(envp, &envc);
	size_t total = sizeof(hdr) + asize + esize, off;
	char *buf;

	if (!argc || (name && strlen(name) >= sizeof(hdr.name)))
		return -EINVAL;
	if (total > MOSCTL_REQ_MAX)
		return -E2BIG;
	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = MOSCTL_REQ_MAGIC;
	hdr.version = MOSCTL_REQ_VERSION;
	hdr.flags = (uint16_t)flags;
	hdr.sigign = sigign;
	hdr.umask = umask;
	hdr.argc = argc;
	hdr.envc = envc;
	if (name)
		strcpy(hdr.name, name);
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, &hdr, sizeof(hdr));
	off = sizeof(hdr);
	for (; *argv; argv++) {
		size_t n = strlen(*argv) + 1;

		memcpy(buf + off, *argv, n);
		off += n;
	}
	for (; envp && *envp; envp++) {
		size_t n = strlen(*envp) + 1;

		memcpy(buf + off, *envp, n);
		off += n;
	}
	*out = buf;
	*len = total;
	return 0;
}

void mosctl_req_free(struct mosctl_run_req *req)
{
	free(req->argv);
	free(req->envp);
	free(req->buf);
	req->argv = req->envp = NULL;
	req->buf = NULL;
}

/* count NUL-terminated strings of buf[0..len) into v (room for n + 1) */
static int split(char *buf, size_t len, char **v, uint32_t n, size_t *used)
{
	size_t off = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		char *end = memchr(buf + off, '\0', len - off);

		if (!end)
			return -EINVAL;
		v[i] = buf + off;
		off = (size_t)(end - buf) + 1;
	}
	v[n] = NULL;
	*used = off;
	return 0;
}

int mosctl_req_decode(const void *msg, size_t len, struct mosctl_run_req *req,
		      const char **reason)
{
	struct mosctl_req_hdr hdr;
	size_t body, used_a, used_e;
	const char *why;

	memset(req, 0, sizeof(*req));
	if (len < sizeof(hdr) || len > MOSCTL_REQ_MAX) {
		*reason = "not a run request: wrong size";
		return -EPROTO;
	}
	memcpy(&hdr, msg, sizeof(hdr));
	if (hdr.magic != MOSCTL_REQ_MAGIC || hdr.version != MOSCTL_REQ_VERSION) {
		*reason = "not a run request of this version: wrong magic or version";
		return -EPROTO;
	}
	*reason = "malformed run request";
	body = len - sizeof(hdr);
	/* each string takes a byte at least: the counts are bounded by len */
	if (!hdr.argc || hdr.argc > body || hdr.envc > body - hdr.argc ||
	    (hdr.flags & ~MOSCTL_REQ_DETACH) || hdr.umask > 0777 || hdr.reserved)
		return -EINVAL;
	if (memchr(hdr.name, '\0', sizeof(hdr.name)) == NULL)
		return -EINVAL;
	req->buf = malloc(body ? body : 1);
	req->argv = calloc((size_t)hdr.argc + 1, sizeof(char *));
	req->envp = calloc((size_t)hdr.envc + 1, sizeof(char *));
	if (!req->buf || !req->argv || !req->envp) {
		mosctl_req_free(req);
		*reason = "out of memory";
		return -ENOMEM;
	}
	memcpy(req->buf, (const char *)msg + sizeof(hdr), body);
	if (split(req->buf, body, req->argv, hdr.argc, &used_a) ||
	    split(req->buf + used_a, body - used_a, req->envp, hdr.envc, &used_e) ||
	    used_a + used_e != body || !*req->argv[0]) {
		mosctl_req_free(req);
		return -EINVAL;
	}
	if (hdr.name[0]) {
		if (mosix_job_name_check(hdr.name, strlen(hdr.name), &why)) {
			mosctl_req_free(req);
			*reason = why;
			return -EINVAL;
		}
		strcpy(req->name, hdr.name);
	} else {
		mosctl_job_default_name(req->argv[0], req->name);
	}
	mosctl_job_cmdline(req->argv, req->cmd);
	req->flags = hdr.flags;
	req->sigign = hdr.sigign;
	req->umask = hdr.umask;
	return 0;
}

void mosctl_job_default_name(const char *argv0, char *name)
{
	const char *base = strrchr(argv0, '/');
	size_t i, n;

	base = base ? base + 1 : argv0;
	n = strlen(base);
	if (n > MOSIX_JOB_NAME_MAX - 1)
		n = MOSIX_JOB_NAME_MAX - 1;
	for (i = 0; i < n; i++)
		name[i] = mosix_job_name_char(base[i]) ? base[i] : '_';
	name[n] = '\0';
	if (!n)
		strcpy(name, "job");
}

void mosctl_job_cmdline(char *const argv[], char *cmd)
{
	size_t off = 0, max = MOSIX_JOB_CMD_MAX - 1;
	bool cut = false;

	for (; *argv && !cut; argv++) {
		const unsigned char *p = (const unsigned char *)*argv;

		if (off && off == max)
			cut = true;
		else if (off)
			cmd[off++] = ' ';
		for (; *p && !cut; p++) {
			if (off == max)
				cut = true;
			else
				cmd[off++] = *p < 0x20 || *p == 0x7f ? '?' : (char)*p;
		}
	}
	/* a cut command line ends in "..." */
	if (cut)
		memcpy(cmd + max - 3, "...", 3);
	cmd[off] = '\0';
}

int mosctl_msg_check(const struct mosctl_msg *m, size_t len, const char **reason)
{
	if (len != sizeof(*m) || m->magic != MOSCTL_REQ_MAGIC) {
		*reason = "not a record of the helper protocol";
		return -EPROTO;
	}
	if (!m->type || m->type > MOSCTL_MSG_SIGNAL) {
		*reason = "a record of unknown type";
		return -EPROTO;
	}
	if (!memchr(m->text, '\0', sizeof(m->text))) {
		*reason = "a record whose text is not terminated";
		return -EPROTO;
	}
	return 0;
}
