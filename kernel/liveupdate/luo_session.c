// SPDX-License-Identifier: GPL-2.0
/*
 * Live update: /dev/liveupdate and its sessions.
 *
 * The interface is upstream Linux's (include/uapi/linux/liveupdate.h):
 * programs written for it run unchanged. A session is an anonymous file;
 * what it preserves is handed to the next kernel while it is open, and
 * dropped when it is closed. The previous kernel's sessions are given out
 * once each, by name, and their files once each, by token.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/liveupdate.h>

#include "luo_internal.h"

/* Sessions, their files, the handlers and the client; see luo_internal.h. */
DEFINE_MUTEX(luo_lock);
LIST_HEAD(luo_sessions);

static atomic_t luo_dev_busy = ATOMIC_INIT(0);

/*
 * Copy an ioctl argument in: the struct starts with its size, which must
 * reach @min bytes; the kernel reads up to @ksize and a larger struct
 * must be zero past it.
 */
static int luo_copy_in(void *karg, size_t ksize, size_t min,
		       void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < min)
		return -EINVAL;
	return copy_struct_from_user(karg, ksize, uarg, usize);
}

/*
 * The same for the structs of FINISH and GET_NAME, whose second member is
 * a __u32 that must be zero.
 */
static int luo_copy_in_reserved(void *karg, size_t ksize, size_t min,
				void __user *uarg)
{
	int err = luo_copy_in(karg, ksize, min, uarg);

	if (!err && ((u32 *)karg)[1])
		err = -EINVAL;
	return err;
}

/* Copy the out part back, no further than the caller's struct reaches. */
static int luo_copy_out(void __user *uarg, const void *karg, size_t ksize,
			size_t offset, size_t len)
{
	u32 usize = *(const u32 *)karg;

	if (offset + len > usize)
		return 0;
	if (copy_to_user(uarg + offset, karg + offset, len))
		return -EFAULT;
	return 0;
}

/* A name is NUL-terminated inside its array and not empty. */
static int luo_name_check(const u8 *name)
{
	if (!name[0] || !memchr(name, 0, LIVEUPDATE_SESSION_NAME_LENGTH))
		return -EINVAL;
	return 0;
}

/* The caller holds luo_lock. */
struct luo_session *luo_session_find(const char *name)
{
	struct luo_session *s;

	list_for_each_entry(s, &luo_sessions, list) {
		if (!strcmp(s->name, name))
			return s;
	}
	return NULL;
}

/* Forget a session and what it holds; the caller holds luo_lock. */
static void luo_session_free(struct luo_session *s)
{
	struct luo_file *f, *tmp;
	bool was_incoming = s->incoming;

	list_for_each_entry_safe(f, tmp, &s->files, list)
		luo_file_drop(s, f);
	if (!was_incoming)
		luo_session_out_destroy(s);
	luo_sysfs_del(s);
	list_del(&s->list);
	xa_destroy(&s->tokens);
	kfree(s);
	if (was_incoming)
		luo_incoming_done();
}

/*
 * FINISH: the files not retrieved are released and the session becomes
 * an outgoing one, which may preserve files again. The caller holds
 * luo_lock.
 */
static int luo_session_finish(struct luo_session *s)
{
	struct luo_file *f, *tmp;
	int err;

	if (!s->incoming)
		return 0;
	err = luo_session_out_init(s);
	if (err)
		return err;
	list_for_each_entry_safe(f, tmp, &s->files, list) {
		if (!f->retrieved)
			pr_info("session %s: token %llu was not retrieved: released\n",
				s->name, f->lf.token);
		luo_file_drop(s, f);
	}
	s->incoming = false;
	luo_incoming_done();
	return 0;
}

static int luo_session_release(struct inode *inode, struct file *file)
{
	struct luo_session *s = file->private_data;

	/* Never installed: the session stays as it was (see below). */
	if (!s)
		return 0;
	mutex_lock(&luo_lock);
	if (s->incoming && s->nr_files)
		pr_info("session %s closed before FINISH: what was not retrieved is released\n",
			s->name);
	luo_session_free(s);
	mutex_unlock(&luo_lock);
	return 0;
}

static long luo_session_preserve(struct luo_session *s, void __user *uarg)
{
	struct liveupdate_session_preserve_fd arg;
	struct file *file;
	int err;

	err = luo_copy_in(&arg, sizeof(arg),
			  offsetofend(typeof(arg), token), uarg);
	if (err)
		return err;
	file = fget(arg.fd);
	if (!file)
		return -EBADF;
	mutex_lock(&luo_lock);
	if (s->incoming)
		err = -EPERM;
	else
		err = luo_file_preserve(s, file, arg.token);
	mutex_unlock(&luo_lock);
	fput(file);
	return err;
}

static long luo_session_retrieve(struct luo_session *s, void __user *uarg)
{
	struct liveupdate_session_retrieve_fd arg;
	struct file *file = NULL;
	int err, fd;

	err = luo_copy_in(&arg, sizeof(arg),
			  offsetofend(typeof(arg), token), uarg);
	if (err)
		return err;
	/* A file is retrieved once: check that its fd can be written first. */
	arg.fd = -1;
	err = luo_copy_out(uarg, &arg, sizeof(arg), offsetof(typeof(arg), fd),
			   sizeof(arg.fd));
	if (err)
		return err;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	mutex_lock(&luo_lock);
	err = s->incoming ? luo_file_retrieve(s, arg.token, &file) : -ENOENT;
	mutex_unlock(&luo_lock);
	if (err) {
		put_unused_fd(fd);
		return err;
	}
	arg.fd = fd;
	err = luo_copy_out(uarg, &arg, sizeof(arg),
			   offsetof(typeof(arg), fd), sizeof(arg.fd));
	if (err) {
		/* The file is the caller's now: closing it frees it. */
		put_unused_fd(fd);
		fput(file);
		return err;
	}
	fd_install(fd, file);
	return 0;
}

static long luo_session_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct luo_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	int err;

	switch (cmd) {
	case LIVEUPDATE_SESSION_PRESERVE_FD:
		return luo_session_preserve(s, uarg);
	case LIVEUPDATE_SESSION_RETRIEVE_FD:
		return luo_session_retrieve(s, uarg);
	case LIVEUPDATE_SESSION_FINISH: {
		struct liveupdate_session_finish fin;

		err = luo_copy_in_reserved(&fin, sizeof(fin), sizeof(fin), uarg);
		if (err)
			return err;
		mutex_lock(&luo_lock);
		err = luo_session_finish(s);
		mutex_unlock(&luo_lock);
		return err;
	}
	case LIVEUPDATE_SESSION_GET_NAME: {
		struct liveupdate_session_get_name gn;

		err = luo_copy_in_reserved(&gn, sizeof(gn), sizeof(gn), uarg);
		if (err)
			return err;
		strscpy_pad(gn.name, s->name, sizeof(gn.name));
		return luo_copy_out(uarg, &gn, sizeof(gn),
				    offsetof(typeof(gn), name),
				    sizeof(gn.name));
	}
	}
	return -ENOTTY;
}

static const struct file_operations luo_session_fops = {
	.owner = THIS_MODULE,
	.release = luo_session_release,
	.unlocked_ioctl = luo_session_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* An fd for @s, written to user space at @uarg + @off. */
static int luo_session_install(struct luo_session *s, void __user *uarg,
			       void *karg, size_t ksize, size_t off)
{
	struct file *file;
	int fd;

	/* Where the fd cannot be written, fail before anything changes. */
	*(s32 *)(karg + off) = -1;
	if (luo_copy_out(uarg, karg, ksize, off, sizeof(s32)))
		return -EFAULT;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = anon_inode_getfile("[liveupdate_session]", &luo_session_fops, s,
				  O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	*(s32 *)(karg + off) = fd;
	if (luo_copy_out(uarg, karg, ksize, off, sizeof(s32))) {
		/* Unmapped meanwhile: the file lets go of the session. */
		file->private_data = NULL;
		put_unused_fd(fd);
		fput(file);
		return -EFAULT;
	}
	s->open = true;
	fd_install(fd, file);
	return 0;
}

/* CREATE_SESSION and RETRIEVE_SESSION take the same struct. */
static_assert(sizeof(struct liveupdate_ioctl_create_session) ==
	      sizeof(struct liveupdate_ioctl_retrieve_session));
static_assert(offsetof(struct liveupdate_ioctl_create_session, name) ==
	      offsetof(struct liveupdate_ioctl_retrieve_session, name));

static int luo_name_arg(struct liveupdate_ioctl_create_session *arg,
			void __user *uarg)
{
	int err = luo_copy_in(arg, sizeof(*arg),
			      offsetofend(typeof(*arg), name), uarg);

	return err ?: luo_name_check(arg->name);
}

static long luo_create_session(void __user *uarg)
{
	struct liveupdate_ioctl_create_session arg;
	struct luo_session *s;
	int err;

	err = luo_name_arg(&arg, uarg);
	if (err)
		return err;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	strscpy(s->name, arg.name, sizeof(s->name));
	luo_session_init_files(s);

	mutex_lock(&luo_lock);
	if (luo_session_find(s->name)) {
		mutex_unlock(&luo_lock);
		kfree(s);
		return -EEXIST;
	}
	err = luo_session_out_init(s);
	if (err) {
		mutex_unlock(&luo_lock);
		kfree(s);
		return err;
	}
	list_add_tail(&s->list, &luo_sessions);
	luo_sysfs_add(s);
	/* The file's release takes luo_lock: install it without. */
	mutex_unlock(&luo_lock);
	err = luo_session_install(s, uarg, &arg, sizeof(arg),
				  offsetof(typeof(arg), fd));
	if (err && !s->open) {
		mutex_lock(&luo_lock);
		luo_session_free(s);
		mutex_unlock(&luo_lock);
	}
	return err;
}

static long luo_retrieve_session(void __user *uarg)
{
	struct liveupdate_ioctl_create_session arg;
	struct luo_session *s;
	int err;

	err = luo_name_arg(&arg, uarg);
	if (err)
		return err;
	mutex_lock(&luo_lock);
	s = luo_session_find(arg.name);
	if (!s || !s->incoming || s->retrieved) {
		mutex_unlock(&luo_lock);
		return -ENOENT;
	}
	s->retrieved = true;
	mutex_unlock(&luo_lock);
	err = luo_session_install(s, uarg, &arg, sizeof(arg),
				  offsetof(typeof(arg), fd));
	if (err && !s->open) {
		mutex_lock(&luo_lock);
		s->retrieved = false;
		mutex_unlock(&luo_lock);
	}
	return err;
}

static long luo_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case LIVEUPDATE_IOCTL_CREATE_SESSION:
		return luo_create_session(uarg);
	case LIVEUPDATE_IOCTL_RETRIEVE_SESSION:
		return luo_retrieve_session(uarg);
	}
	return -ENOTTY;
}

static int luo_dev_open(struct inode *inode, struct file *file)
{
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (atomic_cmpxchg(&luo_dev_busy, 0, 1))
		return -EBUSY;
	/* Registers with KHO on first use and reads the incoming sessions. */
	err = luo_client_start();
	if (err)
		atomic_set(&luo_dev_busy, 0);
	return err;
}

static int luo_dev_release(struct inode *inode, struct file *file)
{
	atomic_set(&luo_dev_busy, 0);
	return 0;
}

static const struct file_operations luo_dev_fops = {
	.owner = THIS_MODULE,
	.open = luo_dev_open,
	.release = luo_dev_release,
	.unlocked_ioctl = luo_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice luo_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "liveupdate",
	.fops = &luo_dev_fops,
	.mode = 0600,
};

static int __init luo_dev_init(void)
{
	int err;

	if (!kho_is_enabled())
		return 0;
	err = luo_sysfs_init();
	if (err)
		pr_warn("no /sys/kernel/liveupdate (%d)\n", err);
	return misc_register(&luo_miscdev);
}
late_initcall(luo_dev_init);
