// SPDX-License-Identifier: GPL-2.0
/* One runner for every unit-test suite; honours CK_TAP_LOG_FILE_NAME etc. */
#include <check.h>
#include <stdlib.h>

Suite *map_suite(void);
Suite *mosctl_suite(void);
Suite *info_suite(void);
Suite *jobs_suite(void);
Suite *mig_wire_suite(void);
Suite *mig_move_suite(void);
Suite *imgstream_suite(void);
Suite *relay_suite(void);
Suite *balance_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(map_suite());
	int failed;

	srunner_add_suite(sr, mosctl_suite());
	srunner_add_suite(sr, info_suite());
	srunner_add_suite(sr, jobs_suite());
	srunner_add_suite(sr, mig_wire_suite());
	srunner_add_suite(sr, mig_move_suite());
	srunner_add_suite(sr, imgstream_suite());
	srunner_add_suite(sr, relay_suite());
	srunner_add_suite(sr, balance_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
