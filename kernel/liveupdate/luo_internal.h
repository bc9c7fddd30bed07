/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KERNEL_LIVEUPDATE_LUO_INTERNAL_H
#define _KERNEL_LIVEUPDATE_LUO_INTERNAL_H

#include <linux/kexec_handover.h>
#include <linux/kho/liveupdate.h>
#include <linux/liveupdate.h>
#include <linux/mutex.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/xarray.h>

/*
 * Lock order: the KHO clients lock (held around the client callbacks) >
 * luo_lock > the KHO core's own locks. luo_lock is never held while
 * registering with KHO.
 */
extern struct mutex luo_lock;

/* One file of a session. */
struct luo_file {
	struct list_head list;
	struct liveupdate_file lf;
	struct liveupdate_file_handler *fh;	/* NULL: no such handler here */
	char handler[LUO_KHO_HANDLER_LEN];
	struct luo_kho_file *rec;		/* outgoing: its record */
	bool retrieved;				/* incoming: retrieve was tried */
};

/*
 * A session. Outgoing: created here, handed over while @open. Incoming:
 * from the previous kernel until FINISH, when it turns outgoing.
 */
struct luo_session {
	struct list_head list;
	char name[LUO_KHO_NAME_LEN];
	bool incoming;
	bool retrieved;		/* incoming, given to user space */
	bool open;		/* a file descriptor refers to it */
	struct list_head files;		/* in the order preserved */
	struct xarray tokens;		/* token -> struct luo_file */
	unsigned int nr_files;
	struct luo_kho_session *rec;	/* outgoing: its preserved page */
	struct kho_array array;		/* outgoing: its file records */
	struct kobject *kobj;		/* its sysfs directory */
};

extern struct list_head luo_sessions;
extern struct kho_client *luo_client;

struct luo_session *luo_session_find(const char *name);

/* luo_handover.c: the KHO client. */
int luo_client_start(void);
int luo_session_out_init(struct luo_session *s);
void luo_session_out_destroy(struct luo_session *s);
int luo_session_out_add(struct luo_session *s, struct luo_file *f);
void luo_incoming_done(void);

/* luo_sysfs.c */
void luo_sysfs_add(struct luo_session *s);
void luo_sysfs_del(struct luo_session *s);
int luo_sysfs_init(void);

/* luo_file.c: handlers and files. */
struct liveupdate_file_handler *luo_handler_for_file(struct file *file);
struct liveupdate_file_handler *luo_handler_find(const char *compatible);
int luo_file_preserve(struct luo_session *s, struct file *file, u64 token);
int luo_file_retrieve(struct luo_session *s, u64 token, struct file **filep);
void luo_file_drop(struct luo_session *s, struct luo_file *f);
void luo_file_release(struct luo_file *f);
struct luo_file *luo_file_find(struct luo_session *s, u64 token);
int luo_file_add(struct luo_session *s, struct luo_file *f);
void luo_session_init_files(struct luo_session *s);

#endif /* _KERNEL_LIVEUPDATE_LUO_INTERNAL_H */
