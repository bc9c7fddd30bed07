/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: Live update file handlers
 *
 * /dev/liveupdate (kernel/liveupdate/) hands files to the next kernel in
 * sessions. It knows nothing about the kinds of files it carries: each
 * kind is a file handler, registered with liveupdate_register_handler(),
 * that preserves a file's contents with the KHO client API and gives the
 * file back in the next kernel. The session code stores, for every file,
 * the user's token, the handler's compatible string and one 64-bit value
 * of the handler's (usually the physical address of its own preserved
 * record); everything else is the handler's, in its own versioned format.
 *
 * Lifecycle of an outgoing file: @can_preserve picks the handler,
 * @preserve (PRESERVE_FD) preserves it, @sync brings it up to date right
 * before the kexec jump (preservation is still possible), @freeze runs at
 * the jump (no allocation, no preservation), @unpreserve drops it when its
 * session is closed or the handover is called off for good. Incoming:
 * @retrieve (RETRIEVE_FD) returns a new file, @release (FINISH, or
 * session end) gives back the memory of a file never retrieved.
 */
#ifndef _LINUX_LIVEUPDATE_H
#define _LINUX_LIVEUPDATE_H

#include <linux/list.h>
#include <linux/types.h>

struct file;
struct kho_client;
struct module;

/* Bytes of a handler's compatible string, with its NUL. */
#define LIVEUPDATE_HANDLER_COMPAT_LEN	32

/**
 * struct liveupdate_file - one file of a session, as a handler sees it
 * @client: the KHO client the handler preserves and restores with
 * @file: outgoing: the file (the session holds a reference); incoming:
 *	NULL until @retrieve sets it
 * @token: the user's token
 * @data: the handler's value, set by @preserve, read back by @retrieve
 * @private: the handler's in-kernel state of an outgoing file
 */
struct liveupdate_file {
	struct kho_client *client;
	struct file *file;
	u64 token;
	u64 data;
	void *private;
};

/**
 * struct liveupdate_file_handler - a kind of file /dev/liveupdate carries
 * @compatible: the version of the handler's format, e.g. "kho-memfd-v1"
 * @owner: the module that provides the handler
 * @can_preserve: is @file of this handler's kind (no side effect)
 * @preserve: preserve @lf->file and set @lf->data; process context. An
 *	error leaves nothing preserved.
 * @sync: optional; the jump is near and preservation is still open:
 *	preserve what changed since @preserve. An error refuses the jump.
 * @freeze: optional; the jump happens: update preserved records in place,
 *	without allocating. An error drops the file's session.
 * @unpreserve: undo @preserve; the file is as before it
 * @retrieve: in the next kernel, build a file from @lf->data into
 *	@lf->file. An error is final: what is left is released at FINISH.
 * @release: in the next kernel, give back what a file never retrieved
 *	(or whose @retrieve failed) still holds
 * @list: the handlers' list, for the session code
 */
struct liveupdate_file_handler {
	const char *compatible;
	struct module *owner;
	bool (*can_preserve)(struct file *file);
	int (*preserve)(struct liveupdate_file *lf);
	int (*sync)(struct liveupdate_file *lf);
	int (*freeze)(struct liveupdate_file *lf);
	void (*unpreserve)(struct liveupdate_file *lf);
	int (*retrieve)(struct liveupdate_file *lf);
	void (*release)(struct liveupdate_file *lf);
	struct list_head list;
};

#ifdef CONFIG_LIVEUPDATE
int liveupdate_register_handler(struct liveupdate_file_handler *fh);
void liveupdate_unregister_handler(struct liveupdate_file_handler *fh);
void liveupdate_hold(void);
void liveupdate_unhold(void);
#else
static inline int
liveupdate_register_handler(struct liveupdate_file_handler *fh)
{
	return -EOPNOTSUPP;
}

static inline void
liveupdate_unregister_handler(struct liveupdate_file_handler *fh)
{
}
#endif

#endif /* _LINUX_LIVEUPDATE_H */
