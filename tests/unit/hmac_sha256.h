/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), userspace, for the tests
 * only: the module uses the kernel crypto API.
 */
#ifndef MOSIX_TEST_HMAC_SHA256_H
#define MOSIX_TEST_HMAC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN	32

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
void hmac_sha256(const void *key, size_t key_len, const void *data,
		 size_t len, uint8_t out[SHA256_LEN]);

#endif /* MOSIX_TEST_HMAC_SHA256_H */
