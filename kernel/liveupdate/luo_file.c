// SPDX-License-Identifier: GPL-2.0
/*
 * Live update: the file handlers, and the files of a session.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "luo_internal.h"

static LIST_HEAD(luo_handlers);

/**
 * liveupdate_register_handler() - offer a kind of file to /dev/liveupdate
 * @fh: the handler, which stays in use until it is unregistered
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for a handler without a compatible string that fits
 * LIVEUPDATE_HANDLER_COMPAT_LEN or without its mandatory callbacks;
 * -EEXIST if a handler with that compatible string is registered.
 */
int liveupdate_register_handler(struct liveupdate_file_handler *fh)
{
	int err = 0;

	if (!fh->compatible || !fh->compatible[0] ||
	    strlen(fh->compatible) >= LIVEUPDATE_HANDLER_COMPAT_LEN ||
	    !fh->can_preserve || !fh->preserve || !fh->unpreserve ||
	    !fh->retrieve || !fh->release)
		return -EINVAL;
	mutex_lock(&luo_lock);
	if (luo_handler_find(fh->compatible))
		err = -EEXIST;
	else
		list_add_tail(&fh->list, &luo_handlers);
	mutex_unlock(&luo_lock);
	return err;
}
EXPORT_SYMBOL_GPL(liveupdate_register_handler);

/**
 * liveupdate_unregister_handler() - withdraw a handler
 * @fh: a registered handler
 *
 * Files it preserves hold a reference on @fh->owner, so a module cannot
 * go while one does.
 *
 * Context: process context; may sleep.
 */
void liveupdate_unregister_handler(struct liveupdate_file_handler *fh)
{
	mutex_lock(&luo_lock);
	list_del_init(&fh->list);
	mutex_unlock(&luo_lock);
}
EXPORT_SYMBOL_GPL(liveupdate_unregister_handler);

/* The caller holds luo_lock. */
struct liveupdate_file_handler *luo_handler_find(const char *compatible)
{
	struct liveupdate_file_handler *fh;

	list_for_each_entry(fh, &luo_handlers, list) {
		if (!strcmp(fh->compatible, compatible))
			return fh;
	}
	return NULL;
}

/* The caller holds luo_lock. */
struct liveupdate_file_handler *luo_handler_for_file(struct file *file)
{
	struct liveupdate_file_handler *fh;

	list_for_each_entry(fh, &luo_handlers, list) {
		if (fh->can_preserve(file))
			return fh;
	}
	return NULL;
}

void luo_session_init_files(struct luo_session *s)
{
	INIT_LIST_HEAD(&s->files);
	xa_init(&s->tokens);
}

/* The caller holds luo_lock. Tokens are 64 bits, as unsigned long here. */
struct luo_file *luo_file_find(struct luo_session *s, u64 token)
{
	return xa_load(&s->tokens, token);
}

/* Add @f to @s under its token: -EEXIST if it is taken, or -ENOMEM. */
int luo_file_add(struct luo_session *s, struct luo_file *f)
{
	int err = xa_insert(&s->tokens, f->lf.token, f, GFP_KERNEL);

	if (err)
		return err == -EBUSY ? -EEXIST : err;
	list_add_tail(&f->list, &s->files);
	s->nr_files++;
	return 0;
}

/* Is the file (its inode) preserved by an outgoing session already. */
static bool luo_file_preserved(struct file *file)
{
	struct luo_session *s;
	struct luo_file *f;

	list_for_each_entry(s, &luo_sessions, list) {
		if (s->incoming)
			continue;
		list_for_each_entry(f, &s->files, list) {
			if (f->lf.file &&
			    file_inode(f->lf.file) == file_inode(file))
				return true;
		}
	}
	return false;
}

/*
 * PRESERVE_FD on an outgoing session; the caller holds luo_lock. On error
 * nothing changed.
 */
int luo_file_preserve(struct luo_session *s, struct file *file, u64 token)
{
	struct liveupdate_file_handler *fh;
	struct luo_file *f;
	int err;

	if (luo_file_find(s, token))
		return -EEXIST;
	if (s->nr_files >= LUO_KHO_MAX_FILES)
		return -ENOSPC;
	if (luo_file_preserved(file))
		return -EBUSY;
	fh = luo_handler_for_file(file);
	if (!fh)
		return -EOPNOTSUPP;
	if (!try_module_get(fh->owner))
		return -EOPNOTSUPP;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f) {
		module_put(fh->owner);
		return -ENOMEM;
	}
	f->fh = fh;
	strscpy(f->handler, fh->compatible, sizeof(f->handler));
	f->lf.client = luo_client;
	f->lf.file = get_file(file);
	f->lf.token = token;
	err = fh->preserve(&f->lf);
	if (err)
		goto out_free;
	err = luo_file_add(s, f);
	if (err)
		goto out_unpreserve;
	err = luo_session_out_add(s, f);
	if (err) {
		xa_erase(&s->tokens, token);
		list_del(&f->list);
		s->nr_files--;
		goto out_unpreserve;
	}
	return 0;

out_unpreserve:
	fh->unpreserve(&f->lf);

out_free:
	fput(f->lf.file);
	module_put(fh->owner);
	kfree(f);
	return err;
}

/*
 * Take a file out of its session and forget it; the caller holds luo_lock.
 * An outgoing file is unpreserved; an incoming one never retrieved is
 * released.
 */
void luo_file_drop(struct luo_session *s, struct luo_file *f)
{
	xa_erase(&s->tokens, f->lf.token);
	list_del(&f->list);
	s->nr_files--;
	if (!s->incoming) {
		f->fh->unpreserve(&f->lf);
		fput(f->lf.file);
		module_put(f->fh->owner);
	} else {
		luo_file_release(f);
	}
	kfree(f);
}

/* Give back what an incoming file still holds; the caller holds luo_lock. */
void luo_file_release(struct luo_file *f)
{
	if (f->fh && !f->lf.file) {
		f->fh->release(&f->lf);
		module_put(f->fh->owner);
		f->fh = NULL;
	}
}

/*
 * RETRIEVE_FD on an incoming session; the caller holds luo_lock. Each
 * token is retrieved once, whatever the outcome.
 */
int luo_file_retrieve(struct luo_session *s, u64 token, struct file **filep)
{
	struct luo_file *f = luo_file_find(s, token);
	int err;

	if (!f || f->retrieved)
		return -ENOENT;
	f->retrieved = true;
	if (!f->fh) {
		pr_warn("session %s: token %llu was preserved by handler %s, which this kernel does not have\n",
			s->name, token, f->handler);
		return -EOPNOTSUPP;
	}
	err = f->fh->retrieve(&f->lf);
	if (err) {
		pr_warn("session %s: token %llu could not be restored (%d); what is left of it is released\n",
			s->name, token, err);
		f->lf.file = NULL;
		luo_file_release(f);
		return err;
	}
	*filep = f->lf.file;
	module_put(f->fh->owner);
	f->fh = NULL;
	return 0;
}
