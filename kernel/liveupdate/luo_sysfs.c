// SPDX-License-Identifier: GPL-2.0
/*
 * Live update: /sys/kernel/liveupdate/sessions/NAME/{state,tokens}, one
 * directory per session of this kernel and per session the previous
 * kernel handed over that is not finished. See
 * Documentation/ABI/testing/sysfs-kernel-liveupdate.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "luo_internal.h"

static struct kobject *luo_root_kobj;
static struct kset *luo_sessions_kset;

struct luo_session_kobj {
	struct kobject kobj;
	struct luo_session *s;	/* NULL once the session is gone */
};

#define to_lsk(k) container_of(k, struct luo_session_kobj, kobj)

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct luo_session *s;
	const char *state = "gone";

	mutex_lock(&luo_lock);
	s = to_lsk(kobj)->s;
	if (s)
		state = !s->incoming ? "outgoing" :
			s->retrieved ? "retrieved" : "incoming";
	mutex_unlock(&luo_lock);
	return sysfs_emit(buf, "%s\n", state);
}

static ssize_t tokens_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct luo_session *s;
	struct luo_file *f;
	int len = 0;

	mutex_lock(&luo_lock);
	s = to_lsk(kobj)->s;
	if (s) {
		list_for_each_entry(f, &s->files, list)
			len += sysfs_emit_at(buf, len, "%llu %s%s\n",
					     f->lf.token, f->handler,
					     s->incoming && f->retrieved ?
					     " retrieved" : "");
	}
	mutex_unlock(&luo_lock);
	return len;
}

static struct kobj_attribute luo_state_attr = __ATTR_RO(state);
static struct kobj_attribute luo_tokens_attr = __ATTR_RO(tokens);

static struct attribute *luo_session_attrs[] = {
	&luo_state_attr.attr,
	&luo_tokens_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(luo_session);

static void luo_session_kobj_release(struct kobject *kobj)
{
	kfree(to_lsk(kobj));
}

static const struct kobj_type luo_session_ktype = {
	.release = luo_session_kobj_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = luo_session_groups,
};

/* The caller holds luo_lock. A session without a directory still works. */
void luo_sysfs_add(struct luo_session *s)
{
	struct luo_session_kobj *lsk;

	if (!luo_sessions_kset)
		return;
	lsk = kzalloc(sizeof(*lsk), GFP_KERNEL);
	if (!lsk)
		return;
	lsk->s = s;
	lsk->kobj.kset = luo_sessions_kset;
	if (kobject_init_and_add(&lsk->kobj, &luo_session_ktype, NULL, "%s",
				 s->name)) {
		kobject_put(&lsk->kobj);
		pr_warn("session %s: no sysfs directory\n", s->name);
		return;
	}
	s->kobj = &lsk->kobj;
}

/* The caller holds luo_lock. */
void luo_sysfs_del(struct luo_session *s)
{
	if (!s->kobj)
		return;
	to_lsk(s->kobj)->s = NULL;
	kobject_del(s->kobj);
	kobject_put(s->kobj);
	s->kobj = NULL;
}

int __init luo_sysfs_init(void)
{
	luo_root_kobj = kobject_create_and_add("liveupdate", kernel_kobj);
	if (!luo_root_kobj)
		return -ENOMEM;
	luo_sessions_kset = kset_create_and_add("sessions", NULL,
						luo_root_kobj);
	if (!luo_sessions_kset) {
		kobject_put(luo_root_kobj);
		luo_root_kobj = NULL;
		return -ENOMEM;
	}
	return 0;
}
