// SPDX-License-Identifier: GPL-2.0
#include "mosctl.h"

int main(int argc, char **argv)
{
	return mosctl_main(argc, argv);
}
