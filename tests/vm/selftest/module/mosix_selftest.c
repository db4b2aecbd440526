// SPDX-License-Identifier: GPL-2.0
/*
 * Misbehaves on purpose, for tests/vm/selftest.sh only: proves that the VM harness
 * fails a run on a real WARN, a SLUB-detected use after free and a KFENCE report.
 * Loaded in QEMU guests only, never on the host: insmod mosix_selftest.ko mode=...
 *   warn     WARN() once at load
 *   uaf      write one byte into a freed kmalloc-64 object (slub_debug poisoning
 *            reports it at the next allocation or when the cache is validated)
 *   kfence   read a freed object that KFENCE sampled (needs kfence.sample_interval)
 * The module stays loaded; rmmod works.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/kfence.h>
#include <linux/delay.h>
#include <linux/irqflags.h>
#include <linux/preempt.h>

static char *mode = "warn";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "warn, uaf or kfence");

static int selftest_uaf(void)
{
	unsigned long flags;
	char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	/* nobody may get the object between the free and the write */
	local_irq_save(flags);
	kfree(p);
	WRITE_ONCE(*(volatile char *)p, 0x42);
	local_irq_restore(flags);
	pr_err("mosix_selftest: wrote into a freed kmalloc-64 object\n");
	return 0;
}

static int selftest_kfence(void)
{
#ifdef CONFIG_KFENCE
	char *p;
	int i;

	for (i = 0; i < 4000; i++) {
		p = kmalloc(32, GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		if (is_kfence_address(p)) {
			kfree(p);
			pr_err("mosix_selftest: reading a freed KFENCE object after %d tries\n", i);
			(void)READ_ONCE(*(volatile char *)p);
			return 0;
		}
		kfree(p);
		usleep_range(500, 1000);
	}
	pr_err("mosix_selftest: no allocation was sampled by KFENCE\n");
	return -EAGAIN;
#else
	pr_err("mosix_selftest: no KFENCE in this kernel\n");
	return -EOPNOTSUPP;
#endif
}

static int __init selftest_init(void)
{
	if (!strcmp(mode, "warn")) {
		WARN(1, "mosix_selftest: a WARN on purpose\n");
		return 0;
	}
	if (!strcmp(mode, "uaf"))
		return selftest_uaf();
	if (!strcmp(mode, "kfence"))
		return selftest_kfence();
	return -EINVAL;
}

static void __exit selftest_exit(void)
{
}

module_init(selftest_init);
module_exit(selftest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mosix VM harness self-test: misbehaves on purpose");
