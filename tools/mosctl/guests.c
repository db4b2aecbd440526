// SPDX-License-Identifier: GPL-2.0
/*
 * Guests: `mosctl block` and `mosctl noblock` (openMosix's block and
 * noblock), whether this node takes new guests, through configfs's block.
 * Blocking refuses the offers to come (they are answered "blocked"); the
 * guests running here stay where they are.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "mosctl.h"

static int set_block(int argc, char **argv, bool block)
{
	const char *cmd = argv[0];
	char was[16] = "", pe[16] = "(off)";
	int ret = mosctl_help_only(argc, argv, 0);
	uint32_t self;

	if (ret >= 0)
		return ret;
	/* (what it was, for the message: quietly; the write says why it fails) */
	mosctl_configfs_read_quiet("block", was, sizeof(was));
	if (mosctl_configfs_write("block", block ? "1" : "0", 1, cmd))
		return MOSCTL_EXIT_FAIL;
	self = mosctl_self_pe();
	if (self)
		snprintf(pe, sizeof(pe), "%" PRIu32, self);
	if (block)
		printf("node %s takes no new guests%s; the guests running here stay\n", pe,
		       !strcmp(was, "1") ? " (it was blocked already)" : "");
	else
		printf("node %s takes guests%s\n", pe,
		       !strcmp(was, "0") ? " (it did already)" : " again");
	return MOSCTL_EXIT_OK;
}

int mosctl_cmd_block(int argc, char **argv)
{
	return set_block(argc, argv, true);
}

int mosctl_cmd_noblock(int argc, char **argv)
{
	return set_block(argc, argv, false);
}
