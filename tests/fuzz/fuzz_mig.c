// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the migration control messages' decoder. The input
 * is a message whose tag counts as verified (the last 32 bytes). Besides
 * crashes and sanitizer reports it checks that:
 *  - peek and decode agree on the frame (a message decode takes is one peek
 *    called a control message with a good frame, from the same sender);
 *  - a refused message names a drop reason from the decoder's set;
 *  - an accepted one validates and encodes back to exactly the same bytes.
 */
#include <stdlib.h>
#include <string.h>
#include "mosix_mig_wire.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 back[MOSIX_MIG_MSG_LEN];
	enum mosix_info_drop why = MOSIX_INFO_DROP_BAD_TAG, why2;
	struct mosix_mig_msg m;
	u32 sender = 0;
	int is_mig, err = 1, rc;

	is_mig = mosix_mig_peek(data, size, &sender, &err, &why2);
	rc = mosix_mig_decode(data, size, &m, &why);
	if (rc) {
		if (rc > 0 || why == MOSIX_INFO_DROP_BAD_TAG || why > MOSIX_INFO_DROP_BAD_SENDER)
			abort();
		return 0;
	}
	if (is_mig != 1 || err || sender != m.sender_pe)
		abort();
	if (mosix_mig_validate(&m, &why) || size != MOSIX_MIG_MSG_LEN)
		abort();
	if (mosix_mig_encode(&m, back, sizeof(back)) != MOSIX_MIG_TAG_OFF)
		abort();
	if (memcmp(back, data, MOSIX_MIG_TAG_OFF))
		abort();
	if (strcmp(mosix_mig_type_name(m.type), "unknown") == 0)
		abort();
	return 0;
}
