// SPDX-License-Identifier: GPL-2.0
/*
 * The migration daemon's registry of jobs: the processes started under
 * mosix on this node (mosctl run), added by the root helper that started
 * them (JOB_ADD) and marked exited by it with their wait status (JOB_EXIT),
 * and the guests: jobs of other homes that moved here (mig.c). A job holds
 * its init's struct pid, not the number, so a pid number used again by
 * another process never passes for the job. A job of this node that moved
 * to another is away: it holds no pid here, runs there, and its JOB_EXIT
 * still comes from its keeper at home. A guest that moves on leaves the
 * registry; one that ends is marked exited by the node's helper, which
 * relays its status home. Entries are sorted by (home, num), the order
 * GET_JOBS dumps them in. The registry outlives
 * shutdowns: the jobs keep their home PE and are this node's processes
 * whether the node is up or not. Module unload frees it.
 *
 * jobs_lock guards everything here; nothing is called under it but the
 * dump's callback, which only fills a message (netlink's cb_mutex >
 * jobs_lock).
 */
#include <linux/cred.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include <linux/timekeeping.h>
#include <linux/uidgid.h>
#include "mosix.h"
#include "mosix_job.h"

struct mosix_job {
	struct list_head node;		/* in jobs, in (home, num) order */
	struct list_head exited_node;	/* in exited_jobs, oldest exit first */
	u32 home, num, where;
	struct pid *pid;		/* the init's; NULL once exited or away */
	bool exited;
	bool moving;			/* a move of it is under way */
	bool guest;			/* its home is another node */
	kuid_t owner;
	u32 status;
	bool have_status;		/* the status came with a JOB_EXIT */
	u64 start_ns;			/* boot time when added */
	char name[MOSIX_JOB_NAME_MAX];
	char cmd[MOSIX_JOB_CMD_MAX];
};

static DEFINE_MUTEX(jobs_lock);
static LIST_HEAD(jobs);
static LIST_HEAD(exited_jobs);
static unsigned int nr_running, nr_exited;
static u32 last_num;

static void set_reason(struct netlink_ext_ack *extack, const char *reason)
{
	if (extack)
		extack->_msg = reason;
}

/* the init's task is gone (reaped) while the entry still runs: the helper died */
static bool job_gone(const struct mosix_job *job)
{
	return job->pid && !pid_has_task(job->pid, PIDTYPE_PID);
}

static void mark_exited(struct mosix_job *job)
{
	lockdep_assert_held(&jobs_lock);
	put_pid(job->pid);
	job->pid = NULL;
	job->exited = true;
	job->moving = false;
	nr_running--;
	list_add_tail(&job->exited_node, &exited_jobs);
	nr_exited++;
}

static void free_job(struct mosix_job *job)
{
	list_del(&job->node);
	if (job->exited)
		list_del(&job->exited_node);
	put_pid(job->pid);
	kfree(job);
}

static u64 job_key(u32 home, u32 num)
{
	return (u64)home << 32 | num;
}

/* into jobs at its (home, num) place: the dump's cursor relies on the order */
static void insert_job(struct mosix_job *job)
{
	struct mosix_job *j;
	u64 key = job_key(job->home, job->num);

	lockdep_assert_held(&jobs_lock);
	list_for_each_entry_reverse(j, &jobs, node) {
		if (job_key(j->home, j->num) < key) {
			list_add(&job->node, &j->node);
			return;
		}
	}
	list_add(&job->node, &jobs);
}

/* the registry keeps the newest MOSIX_JOBS_EXITED_KEEP exits */
static void prune_exited(void)
{
	lockdep_assert_held(&jobs_lock);
	while (nr_exited > MOSIX_JOBS_EXITED_KEEP) {
		free_job(list_first_entry(&exited_jobs, struct mosix_job,
					  exited_node));
		nr_exited--;
	}
}

/*
 * The registry is full: entries whose init is gone without a JOB_EXIT (a
 * dump reads them exited already) stop counting as running. A JOB_EXIT
 * may still bring their status.
 */
static void reap_gone(void)
{
	struct mosix_job *job;

	lockdep_assert_held(&jobs_lock);
	list_for_each_entry(job, &jobs, node)
		if (job_gone(job))
			mark_exited(job);
	prune_exited();
}

/* on success the reference on *pidp is the caller's */
static int find_init(pid_t nr, kuid_t owner, struct pid **pidp,
		     const char **reason)
{
	struct task_struct *task;
	struct pid *pid;
	bool same_uid = false;

	/* in the caller's PID namespace */
	pid = find_get_pid(nr);
	if (!pid) {
		*reason = "no such process";
		return -ESRCH;
	}
	rcu_read_lock();
	/*
	 * A process, not a thread. A zombie counts: a command that ends at
	 * once may be dead before its helper registers it.
	 */
	task = pid_task(pid, PIDTYPE_TGID);
	if (task)
		same_uid = uid_eq(task_uid(task), owner);
	rcu_read_unlock();
	if (!task) {
		put_pid(pid);
		*reason = "no such process";
		return -ESRCH;
	}
	if (!same_uid) {
		put_pid(pid);
		*reason = "the process does not run as that uid";
		return -EPERM;
	}
	*pidp = pid;
	return 0;
}

static int jobs_add(pid_t nr, uid_t uid, const char *name, const char *cmd,
		    u32 *home, u32 *num, const char **reason)
{
	struct mosix_job *job, *j;
	struct pid *pid;
	kuid_t owner;
	u32 pe;
	int err;

	err = mosix_job_name_check(name, strlen(name), reason);
	if (!err)
		err = mosix_job_cmd_check(cmd, strlen(cmd), reason);
	if (err)
		return err;
	if (nr <= 0) {
		*reason = "the pid is out of range";
		return -EINVAL;
	}
	owner = make_kuid(current_user_ns(), uid);
	if (!uid_valid(owner)) {
		*reason = "the uid is not mapped in the caller's user namespace";
		return -EINVAL;
	}
	/* state first: a shutdown clears the PE after leaving up */
	if (mosix_node_state() != MOSIX_STATE_UP) {
		*reason = "this node is not up";
		return -ENETDOWN;
	}
	pe = mosix_node_pe();
	if (!pe) {
		*reason = "this node is not up";
		return -ENETDOWN;
	}
	err = find_init(nr, owner, &pid, reason);
	if (err)
		return err;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job) {
		put_pid(pid);
		*reason = "out of memory";
		return -ENOMEM;
	}
	strscpy(job->name, name, sizeof(job->name));
	strscpy(job->cmd, cmd, sizeof(job->cmd));
	job->owner = owner;
	job->home = pe;
	/* migration comes later: every job runs at home */
	job->where = pe;

	mutex_lock(&jobs_lock);
	list_for_each_entry(j, &jobs, node) {
		if (j->pid == pid) {
			*reason = "the process is already a job";
			err = -EEXIST;
			goto unlock;
		}
	}
	if (nr_running >= MOSIX_JOBS_MAX)
		reap_gone();
	if (nr_running >= MOSIX_JOBS_MAX) {
		*reason = "the registry is full: " __stringify(MOSIX_JOBS_MAX) " jobs are running";
		err = -ENOSPC;
		goto unlock;
	}
	if (last_num == U32_MAX) {
		*reason = "the job numbers are used up until the module is reloaded";
		err = -ENOSPC;
		goto unlock;
	}
	job->num = ++last_num;
	job->pid = pid;
	job->start_ns = ktime_get_boottime_ns();
	insert_job(job);
	nr_running++;
	*home = job->home;
	*num = job->num;
	job = NULL;
	pid = NULL;
unlock:
	mutex_unlock(&jobs_lock);
	kfree(job);
	put_pid(pid);
	return err;
}

/*
 * JOB_ADD: nr in the caller's PID namespace, uid in its user namespace.
 * On any error nothing changed.
 */
int mosix_jobs_add(pid_t nr, uid_t uid, const char *name, const char *cmd,
		   u32 *home, u32 *num, struct netlink_ext_ack *extack)
{
	const char *reason = NULL;
	int err = jobs_add(nr, uid, name, cmd, home, num, &reason);

	if (err) {
		set_reason(extack, reason);
		pr_info_ratelimited("job add: pid %d uid %u refused: %s (%d)\n",
				    nr, uid, reason, err);
	}
	return err;
}

/* home 0: the job of this node (not a guest) numbered num */
static struct mosix_job *find_job(u32 home, u32 num)
{
	struct mosix_job *job;

	lockdep_assert_held(&jobs_lock);
	list_for_each_entry(job, &jobs, node)
		if (job->num == num && (home ? job->home == home : !job->guest))
			return job;
	return NULL;
}

/*
 * JOB_EXIT: the job ended with the wait(2) status. Its init may still be
 * there (it reports the command's status before it exits) or gone. home 0:
 * a job of this node's (its keeper's report); a guest's comes with its home.
 */
int mosix_jobs_set_exited(u32 home_pe, u32 num, u32 status,
			  struct netlink_ext_ack *extack)
{
	const char *reason = NULL;
	struct mosix_job *job;
	kuid_t owner = GLOBAL_ROOT_UID;
	u32 home = 0;
	int err = 0;

	mutex_lock(&jobs_lock);
	job = find_job(home_pe, num);
	if (!job) {
		reason = "no such job";
		err = -ENOENT;
	} else if (job->have_status) {
		reason = "the job has already exited";
		err = -EALREADY;
	} else {
		if (!job->exited)
			mark_exited(job);
		job->status = status;
		job->have_status = true;
		home = job->home;
		owner = job->owner;
		prune_exited();
	}
	mutex_unlock(&jobs_lock);

	if (err) {
		set_reason(extack, reason);
		pr_info_ratelimited("job exit: %u.%u refused: %s (%d)\n", home_pe,
				    num, reason, err);
		return err;
	}
	mosix_event_job_exited(home, num, from_kuid_munged(&init_user_ns, owner),
			       status);
	return 0;
}

/* JOB_WHERE: a job of this node that runs elsewhere runs on where now */
int mosix_jobs_set_where(u32 num, u32 where, struct netlink_ext_ack *extack)
{
	const char *reason = NULL;
	struct mosix_job *job;
	int err = 0;

	mutex_lock(&jobs_lock);
	job = find_job(0, num);
	if (!job) {
		reason = "no such job";
		err = -ENOENT;
	} else if (job->exited) {
		reason = "the job has exited";
		err = -EALREADY;
	} else if (job->pid || where == job->home) {
		reason = "the job runs here: only a move changes that";
		err = -EBUSY;
	} else {
		job->where = where;
	}
	mutex_unlock(&jobs_lock);
	if (err) {
		set_reason(extack, reason);
		pr_info_ratelimited("job where: %u refused: %s (%d)\n", num, reason, err);
	}
	return err;
}

/* the job as the calling task sees it (its PID and user namespaces) */
static void view_job(const struct mosix_job *job, struct pid_namespace *ns,
		     u64 now, struct mosix_job_view *v)
{
	*v = (struct mosix_job_view) {
		.home = job->home,
		.num = job->num,
		.where = job->where,
		.uid = from_kuid_munged(current_user_ns(), job->owner),
		.state = MOSIX_JOB_EXITED,
		.have_status = job->have_status,
		.status = job->status,
		.age_ms = div_u64(now - job->start_ns, NSEC_PER_MSEC),
		.name = job->name,
		.cmd = job->cmd,
	};
	if (job->exited)
		return;
	/* a gone init's number may already be another process's */
	if (job->pid && !job_gone(job)) {
		v->state = job->moving ? MOSIX_JOB_MIGRATING : MOSIX_JOB_RUNNING;
		v->pid = pid_nr_ns(job->pid, ns);
	} else if (!job->pid) {
		v->state = MOSIX_JOB_RUNNING;	/* away */
	}
}

/* the checks of every move of job, by who: 0 or why not */
static int may_move(const struct mosix_job *job, kuid_t who, bool admin,
		    const char **reason)
{
	if (!job || job->exited || job_gone(job)) {
		*reason = job ? "the job has exited" : "no such job";
		return job ? -ESRCH : -ENOENT;
	}
	if (!admin && !uid_eq(job->owner, who)) {
		*reason = "the job is another user's";
		return -EPERM;
	}
	return 0;
}

/*
 * A move of job num (the migration daemon's): the job must run here, not be
 * moving, and be who's, unless admin. Marks it moving; *pid (a reference)
 * and *owner are the caller's.
 */
int mosix_jobs_move_begin(u32 home, u32 num, kuid_t who, bool admin,
			  struct pid **pid, kuid_t *owner, const char **reason)
{
	struct mosix_job *job;
	int err = 0;

	mutex_lock(&jobs_lock);
	job = find_job(home, num);
	err = may_move(job, who, admin, reason);
	if (err)
		goto unlock;
	if (!job->pid) {
		*reason = "the job runs on another node: move it from there";
		err = -ENOENT;
	} else if (job->moving) {
		*reason = "the job is moving already";
		err = -EBUSY;
	} else {
		job->moving = true;
		*pid = get_pid(job->pid);
		*owner = job->owner;
	}
unlock:
	mutex_unlock(&jobs_lock);
	return err;
}

/*
 * Is job (home, num) one of this node's that runs on another node: 0 with
 * *where (the migration daemon asks that node to move it), 1 if it runs
 * here (the caller moves it itself), or why not, as mosix_jobs_move_begin().
 */
int mosix_jobs_away_at(u32 home, u32 num, kuid_t who, bool admin, u32 *where,
		       const char **reason)
{
	struct mosix_job *job;
	int err = 0;

	mutex_lock(&jobs_lock);
	job = find_job(home, num);
	err = may_move(job, who, admin, reason);
	if (!err && (job->guest || job->pid))
		err = 1;
	else if (!err)
		*where = job->where;
	mutex_unlock(&jobs_lock);
	return err;
}

/*
 * The move of job (home, num) ended: it runs on where (this node: it
 * stayed). A job of this node that left is away; a guest that left is no
 * longer this node's business.
 */
void mosix_jobs_move_end(u32 home, u32 num, u32 where)
{
	struct mosix_job *job;

	mutex_lock(&jobs_lock);
	job = find_job(home, num);
	if (job && !job->exited) {
		job->moving = false;
		if (where != job->where && job->pid) {
			/* it left: its init here is killed, the job runs there */
			put_pid(job->pid);
			job->pid = NULL;
			if (job->guest) {
				free_job(job);
				nr_running--;
				job = NULL;
			}
		}
		if (job)
			job->where = where;
	}
	mutex_unlock(&jobs_lock);
}

/*
 * A job that arrives (the target's restored copy, before it runs): an
 * entry made ahead, while a failure could still refuse the move, so that
 * its arrival cannot fail. name and cmd as the helper read them from the
 * stream; checked here, "-" when absent or malformed.
 */
struct mosix_job *mosix_jobs_prepare_arrival(u32 home, u32 num, u32 uid,
					     const char *name, const char *cmd)
{
	struct mosix_job *job = kzalloc(sizeof(*job), GFP_KERNEL);
	const char *reason;

	if (!job)
		return NULL;
	job->home = home;
	job->num = num;
	job->owner = make_kuid(&init_user_ns, uid);
	job->guest = true;
	if (!name || mosix_job_name_check(name, strlen(name), &reason))
		name = "-";
	if (!cmd || mosix_job_cmd_check(cmd, strlen(cmd), &reason))
		cmd = "-";
	strscpy(job->name, name, sizeof(job->name));
	strscpy(job->cmd, cmd, sizeof(job->cmd));
	return job;
}

void mosix_jobs_drop_arrival(struct mosix_job *job)
{
	kfree(job);
}

/*
 * The arrived job runs here from now on (pid: the init, a reference the
 * registry takes). A job of this node coming home takes its away entry
 * back; any other is a guest, added with the entry made ahead (consumed).
 */
void mosix_jobs_arrived(struct mosix_job *job, struct pid *pid, u32 self)
{
	struct mosix_job *own;

	mutex_lock(&jobs_lock);
	own = find_job(job->home, job->num);
	if (own && own->exited) {
		/* an old exit of the same job here: the new arrival replaces it */
		free_job(own);
		nr_exited--;
		own = NULL;
	}
	if (own) {
		/* its away entry (or a stale guest one): it runs here again */
		put_pid(own->pid);
		own->pid = get_pid(pid);
		own->where = self;
		own->moving = false;
		kfree(job);
	} else {
		job->pid = get_pid(pid);
		job->where = self;
		job->start_ns = ktime_get_boottime_ns();
		insert_job(job);
		nr_running++;
	}
	mutex_unlock(&jobs_lock);
}

/*
 * GET_JOBS: fn for each job numbered above after, in NUM order, as the
 * calling task sees it, under jobs_lock. Stops at the first non-zero
 * return of fn and returns it.
 */
int mosix_jobs_dump(u64 after,
		    int (*fn)(const struct mosix_job_view *v, void *arg),
		    void *arg)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	u64 now = ktime_get_boottime_ns();
	struct mosix_job_view v;
	struct mosix_job *job;
	int err = 0;

	mutex_lock(&jobs_lock);
	list_for_each_entry(job, &jobs, node) {
		if (job_key(job->home, job->num) <= after)
			continue;
		view_job(job, ns, now, &v);
		err = fn(&v, arg);
		if (err)
			break;
	}
	mutex_unlock(&jobs_lock);
	return err;
}

/* module unload, once no netlink op can run: free every job */
void mosix_jobs_exit(void)
{
	struct mosix_job *job, *tmp;

	mutex_lock(&jobs_lock);
	list_for_each_entry_safe(job, tmp, &jobs, node)
		free_job(job);
	nr_running = 0;
	nr_exited = 0;
	mutex_unlock(&jobs_lock);
}
