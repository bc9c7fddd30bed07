// SPDX-License-Identifier: GPL-2.0
/*
 * Live update: the KHO client that carries the sessions to the next kernel
 * (format: include/linux/kho/liveupdate.h).
 *
 * The client registers on the first open of /dev/liveupdate: until then,
 * incoming sessions fall under the release policy of KHO like any client
 * that has not come. Outgoing records live in preserved memory from the
 * start (a page per session, a record array of its files); the freeze
 * callback only fills in counts and links, in place.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/crc32.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "luo_internal.h"

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG_CORRUPT
/*
 * liveupdate.corrupt_session=NAME (or /sys/module/liveupdate/parameters/):
 * the freeze damages session NAME after its checksum, for the tests of
 * the checks in the next kernel.
 */
#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "liveupdate."
static char luo_corrupt_session[LUO_KHO_NAME_LEN];
module_param_string(corrupt_session, luo_corrupt_session,
		    sizeof(luo_corrupt_session), 0600);

static void luo_debug_corrupt(struct luo_kho_session *rec)
{
	if (luo_corrupt_session[0] &&
	    !strcmp(rec->name, strim(luo_corrupt_session))) {
		rec->nr_files ^= 1;
		pr_warn("session %s damaged on request\n", rec->name);
	}
}
#else
static inline void luo_debug_corrupt(struct luo_kho_session *rec)
{
}
#endif

struct kho_client *luo_client;
static struct luo_kho_header *luo_header;
static DEFINE_MUTEX(luo_start_lock);
static unsigned int luo_nr_incoming;	/* incoming sessions not finished */
static unsigned int luo_nr_outgoing;	/* sessions with a record */

/* The caller holds luo_lock. */
int luo_session_out_init(struct luo_session *s)
{
	struct luo_kho_session *rec;
	int err;

	/* The header lists at most LUO_KHO_MAX_SESSIONS. */
	if (luo_nr_outgoing >= LUO_KHO_MAX_SESSIONS)
		return -ENOSPC;
	rec = kho_alloc_preserve(luo_client, PAGE_SIZE);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	err = kho_array_init(&s->array, luo_client,
			     sizeof(struct luo_kho_file));
	if (err) {
		kho_unpreserve_free(luo_client, rec);
		return err;
	}
	luo_nr_outgoing++;
	memset(rec, 0, PAGE_SIZE);
	rec->magic = LUO_KHO_SESSION_MAGIC;
	strscpy_pad(rec->name, s->name, sizeof(rec->name));
	s->rec = rec;
	return 0;
}

/* The caller holds luo_lock. */
void luo_session_out_destroy(struct luo_session *s)
{
	if (!s->rec)
		return;
	kho_array_destroy(&s->array);
	kho_unpreserve_free(luo_client, s->rec);
	s->rec = NULL;
	luo_nr_outgoing--;
}

/* The record of a new file; the caller holds luo_lock. */
int luo_session_out_add(struct luo_session *s, struct luo_file *f)
{
	struct luo_kho_file *rec = kho_array_add(&s->array);

	if (!rec)
		return -ENOMEM;
	rec->token = f->lf.token;
	strscpy_pad(rec->handler, f->handler, sizeof(rec->handler));
	rec->data = f->lf.data;
	f->rec = rec;
	return 0;
}

/* The caller holds luo_lock. */
void luo_incoming_done(void)
{
	if (!WARN_ON_ONCE(!luo_nr_incoming) && !--luo_nr_incoming) {
		pr_info("every incoming session is finished and no restore needs the handover: it is released\n");
		kho_finish(luo_client);
	}
}

/**
 * liveupdate_hold() - keep what the previous kernel handed over after
 *	a file was retrieved
 *
 * A handler whose ->retrieve() leaves work that restores more of the
 * handover (a memfd filled in the background) takes a hold there: the
 * memory it still needs is not released when the last incoming session
 * finishes, but when liveupdate_unhold() drops the last hold.
 *
 * Context: in a handler's ->retrieve(), which runs under luo_lock.
 */
void liveupdate_hold(void)
{
	lockdep_assert_held(&luo_lock);
	luo_nr_incoming++;
}
EXPORT_SYMBOL_GPL(liveupdate_hold);

/**
 * liveupdate_unhold() - drop a hold of liveupdate_hold()
 *
 * Context: process context, without luo_lock; may sleep.
 */
void liveupdate_unhold(void)
{
	mutex_lock(&luo_lock);
	luo_incoming_done();
	mutex_unlock(&luo_lock);
}
EXPORT_SYMBOL_GPL(liveupdate_unhold);

/*
 * Right before the jump, while preserving is possible: the handlers
 * preserve what changed (pages written into holes of a memfd, say). An
 * error refuses the jump; nothing is lost.
 */
static int luo_sync(struct kho_client *client, void *data)
{
	struct luo_session *s;
	struct luo_file *f;
	int err = 0;

	mutex_lock(&luo_lock);
	list_for_each_entry(s, &luo_sessions, list) {
		if (s->incoming)
			continue;
		list_for_each_entry(f, &s->files, list) {
			if (!f->fh->sync)
				continue;
			err = f->fh->sync(&f->lf);
			if (err) {
				pr_err("session %s: token %llu could not be brought up to date (%d)\n",
				       s->name, f->lf.token, err);
				goto out;
			}
		}
	}
out:
	mutex_unlock(&luo_lock);
	return err;
}

/* The handlers' last word, then the records: no allocation from here. */
static int luo_freeze(struct kho_client *client, void *data)
{
	unsigned int nr = 0;
	struct luo_session *s;
	struct luo_file *f;
	int err;

	mutex_lock(&luo_lock);
	list_for_each_entry(s, &luo_sessions, list) {
		if (s->incoming)
			continue;
		err = 0;
		list_for_each_entry(f, &s->files, list) {
			if (f->fh->freeze)
				err = f->fh->freeze(&f->lf);
			if (err) {
				pr_err("session %s: token %llu failed to freeze (%d): the session is not handed over\n",
				       s->name, f->lf.token, err);
				break;
			}
			f->rec->data = f->lf.data;
		}
		if (err)
			continue;
		s->rec->files = kho_array_phys(&s->array);
		s->rec->nr_files = s->nr_files;
		s->rec->crc = 0;
		s->rec->crc = crc32_le(~0, (const u8 *)s->rec, sizeof(*s->rec));
		luo_debug_corrupt(s->rec);
		luo_header->sessions[nr++] = virt_to_phys(s->rec);
	}
	luo_header->nr_sessions = nr;
	mutex_unlock(&luo_lock);
	if (nr)
		pr_info("%u session(s) handed over\n", nr);
	return 0;
}

static const struct kho_client_ops luo_ops = {
	.sync = luo_sync,
	.freeze = luo_freeze,
};

static const struct kho_client_desc luo_desc = {
	.name = LUO_KHO_CLIENT,
	.compatible = LUO_KHO_COMPATIBLE,
	.ops = &luo_ops,
};

struct luo_in_ctx {
	struct luo_session *s;
	const char *why;
};

/* One incoming file record; the caller holds luo_lock. */
static int luo_file_in(void *arg, const void *data, unsigned long i)
{
	const struct luo_kho_file *rec = data;
	struct luo_in_ctx *ctx = arg;
	struct luo_session *s = ctx->s;
	struct luo_file *f;
	int err;

	if (!memchr(rec->handler, 0, sizeof(rec->handler)) ||
	    !rec->handler[0]) {
		ctx->why = "bad handler name";
		return -EINVAL;
	}
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f) {
		ctx->why = "out of memory";
		return -ENOMEM;
	}
	strscpy(f->handler, rec->handler, sizeof(f->handler));
	f->lf.client = luo_client;
	f->lf.token = rec->token;
	f->lf.data = rec->data;
	err = luo_file_add(s, f);
	if (err) {
		ctx->why = err == -EEXIST ? "a token twice" : "out of memory";
		kfree(f);
		return err == -EEXIST ? -EINVAL : err;
	}
	f->fh = luo_handler_find(f->handler);
	if (f->fh && !try_module_get(f->fh->owner))
		f->fh = NULL;
	return 0;
}

static const char *luo_session_check(const struct luo_kho_session *rec)
{
	struct luo_kho_session tmp = *rec;

	if (rec->magic != LUO_KHO_SESSION_MAGIC)
		return "bad magic";
	tmp.crc = 0;
	if (crc32_le(~0, (const u8 *)&tmp, sizeof(tmp)) != rec->crc)
		return "bad checksum";
	if (!rec->name[0] || !memchr(rec->name, 0, sizeof(rec->name)))
		return "bad name";
	if (rec->nr_files > LUO_KHO_MAX_FILES)
		return "too many files";
	if (!rec->nr_files != !rec->files)
		return "bad file list";
	return NULL;
}

/* Read one incoming session; the caller holds luo_lock. */
static void luo_session_in(phys_addr_t phys)
{
	struct luo_in_ctx ctx = { };
	struct luo_kho_session *rec;
	struct luo_session *s;
	struct luo_file *f, *tmp;
	long nr;

	rec = kho_restore_preserved(luo_client, phys, PAGE_SIZE);
	if (IS_ERR(rec)) {
		pr_err("session at %pa: not preserved (%ld): dropped\n", &phys,
		       PTR_ERR(rec));
		return;
	}
	ctx.why = luo_session_check(rec);
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		ctx.why = "out of memory";
		goto out;
	}
	luo_session_init_files(s);
	s->incoming = true;
	if (!ctx.why) {
		strscpy(s->name, rec->name, sizeof(s->name));
		if (luo_session_find(s->name))
			ctx.why = "a name twice";
	}
	if (!ctx.why) {
		ctx.s = s;
		nr = kho_array_restore(luo_client, rec->files,
				       sizeof(struct luo_kho_file),
				       luo_file_in, &ctx);
		if (nr < 0 && !ctx.why)
			ctx.why = "corrupted file list";
		else if (nr >= 0 && nr != rec->nr_files)
			ctx.why = "wrong number of files";
	}
	if (ctx.why) {
		list_for_each_entry_safe(f, tmp, &s->files, list) {
			luo_file_release(f);
			list_del(&f->list);
			kfree(f);
		}
		xa_destroy(&s->tokens);
		kfree(s);
		goto out;
	}
	list_add_tail(&s->list, &luo_sessions);
	luo_sysfs_add(s);
	luo_nr_incoming++;
	pr_info("session %s: %u file(s) from the previous kernel\n", s->name,
		s->nr_files);
out:
	if (ctx.why)
		pr_err("session at %pa: %s: dropped, its memory is released\n",
		       &phys, ctx.why);
	folio_put(virt_to_folio(rec));
}

/* Read the previous kernel's sessions; the caller holds luo_lock. */
static void luo_incoming_read(void)
{
	struct luo_kho_header *hdr;
	phys_addr_t phys;
	unsigned int i;
	size_t size;
	int err;

	err = kho_client_incoming(luo_client, NULL);
	if (err) {
		if (err != -ENOENT)
			pr_warn("no incoming sessions (%d)\n", err);
		return;
	}
	err = kho_get_blob(luo_client, LUO_KHO_BLOB, &phys, &size);
	if (!err && size != sizeof(*hdr))
		err = -EINVAL;
	hdr = err ? ERR_PTR(err) :
		    kho_restore_preserved(luo_client, phys, size);
	if (IS_ERR(hdr)) {
		pr_err("the sessions of the previous kernel are unreadable (%ld): released\n",
		       PTR_ERR(hdr));
		kho_finish(luo_client);
		return;
	}
	if (hdr->magic != LUO_KHO_HEADER_MAGIC || hdr->reserved ||
	    hdr->nr_sessions > LUO_KHO_MAX_SESSIONS) {
		pr_err("the sessions of the previous kernel are corrupted: released\n");
	} else {
		for (i = 0; i < hdr->nr_sessions; i++)
			luo_session_in(hdr->sessions[i]);
	}
	folio_put(virt_to_folio(hdr));
	if (!luo_nr_incoming)
		kho_finish(luo_client);
}

/*
 * Register with KHO on the first open of /dev/liveupdate, and read what
 * the previous kernel handed over.
 */
int luo_client_start(void)
{
	struct luo_kho_header *hdr;
	struct kho_client *client;
	int err = 0;

	mutex_lock(&luo_start_lock);
	if (luo_client)
		goto out;
	client = kho_client_register(&luo_desc);
	if (IS_ERR(client)) {
		err = PTR_ERR(client);
		pr_err("cannot register with KHO (%d)\n", err);
		goto out;
	}
	hdr = kho_alloc_preserve(client, sizeof(*hdr));
	err = PTR_ERR_OR_ZERO(hdr);
	if (!err) {
		memset(hdr, 0, sizeof(*hdr));
		hdr->magic = LUO_KHO_HEADER_MAGIC;
		err = kho_add_blob(client, LUO_KHO_BLOB, hdr, sizeof(*hdr));
	}
	if (err) {
		pr_err("cannot publish the session list (%d)\n", err);
		kho_client_unregister(client);
		goto out;
	}
	mutex_lock(&luo_lock);
	luo_client = client;
	luo_header = hdr;
	luo_incoming_read();
	mutex_unlock(&luo_lock);
out:
	mutex_unlock(&luo_start_lock);
	return err;
}
