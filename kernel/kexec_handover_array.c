// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver (KHO) helpers for clients, built on the client API only:
 * arrays of records in chains of preserved pages.
 * Layout: include/linux/kho/abi.h, "KHO record arrays".
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/cpumask.h>
#include <linux/io.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/workqueue.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/slab.h>

#define KHO_ARRAY_ROOM	(PAGE_SIZE - sizeof(struct kho_array_page))

static void *kho_array_records(struct kho_array_page *h)
{
	return h + 1;
}

/**
 * kho_array_init() - start an empty array of records
 * @array: the array
 * @client: the owner of its pages
 * @rec_size: bytes per record, at most a page minus a small header
 *
 * Context: any; allocates nothing.
 * Return: 0, or -EINVAL for a bad @rec_size.
 */
int kho_array_init(struct kho_array *array, struct kho_client *client,
		   size_t rec_size)
{
	if (!rec_size || rec_size > KHO_ARRAY_ROOM)
		return -EINVAL;
	*array = (struct kho_array){ .client = client, .rec_size = rec_size };
	return 0;
}
EXPORT_SYMBOL_GPL(kho_array_init);

/**
 * kho_array_add() - append a record
 * @array: the array
 *
 * A new preserved page is allocated only when the last one is full.
 *
 * Context: process context; may sleep and allocate.
 * Return: the new record, zeroed, to be filled in; NULL when out of memory
 * or when preserving fails (the array is unchanged).
 */
void *kho_array_add(struct kho_array *array)
{
	struct kho_array_page *h = array->tail, *p;
	void *rec;

	if (!h || (h->nr + 1) * array->rec_size > KHO_ARRAY_ROOM) {
		p = kho_alloc_preserve(array->client, PAGE_SIZE);
		if (IS_ERR(p))
			return NULL;
		p->magic = KHO_ARRAY_MAGIC;
		p->rec_size = array->rec_size;
		if (h)
			h->next = virt_to_phys(p);
		else
			array->head = p;
		array->tail = p;
		h = p;
	}
	rec = kho_array_records(h) + h->nr * array->rec_size;
	h->nr++;
	array->nr++;
	return rec;
}
EXPORT_SYMBOL_GPL(kho_array_add);

/**
 * kho_array_phys() - where the next kernel finds the array
 * @array: the array
 *
 * Context: any.
 * Return: the physical address of the first page, 0 for an empty array.
 */
phys_addr_t kho_array_phys(const struct kho_array *array)
{
	return array->head ? virt_to_phys(array->head) : 0;
}
EXPORT_SYMBOL_GPL(kho_array_phys);

/**
 * kho_array_destroy() - unpreserve and free every page of an array
 * @array: the array, empty afterwards
 *
 * Context: process context; may sleep.
 */
void kho_array_destroy(struct kho_array *array)
{
	struct kho_array_page *h = array->head;

	while (h) {
		struct kho_array_page *next =
			h->next ? phys_to_virt(h->next) : NULL;

		kho_unpreserve_free(array->client, h);
		h = next;
	}
	kho_array_init(array, array->client, array->rec_size);
}
EXPORT_SYMBOL_GPL(kho_array_destroy);

/*
 * One walk of an array: a chain of preserved pages taken one at a time by
 * the caller, or the pages of a map shared by the threads that read it.
 */
struct kho_array_job {
	struct kho_client *client;
	size_t rec_size;
	int (*fn)(void *arg, const void *recs, unsigned int nr,
		  unsigned long first);
	void *arg;
	struct mem_cgroup *memcg;
	const struct kho_array_map *map;	/* or NULL: the chain at next */
	phys_addr_t next;	/* the next page of the chain, 0 at its end */
	unsigned long n;	/* records of the chain handed out */
	atomic_t page;		/* the next page of the map */
	int err;		/* the first error, which stops every thread */
};

struct kho_array_worker {
	struct work_struct work;
	struct kho_array_job *job;
};

static void kho_array_fail(struct kho_array_job *job, int err)
{
	cmpxchg(&job->err, 0, err);
}

/* Take the next page of the chain; NULL at its end or when it is damaged. */
static struct kho_array_page *kho_array_take(struct kho_array_job *job)
{
	struct kho_array_page *h;

	if (!job->next)
		return NULL;
	h = kho_restore_preserved(job->client, job->next, PAGE_SIZE);
	if (IS_ERR(h)) {
		kho_array_fail(job, PTR_ERR(h));
		return NULL;
	}
	if (h->magic != KHO_ARRAY_MAGIC || h->rec_size != job->rec_size ||
	    (u64)h->nr * job->rec_size > KHO_ARRAY_ROOM) {
		kho_array_fail(job, -EINVAL);
		folio_put(virt_to_folio(h));
		return NULL;
	}
	job->next = h->next;
	return h;
}

/*
 * The records of the next page, how many in *@nr and the index of the
 * first in *@base; the chain's page to free after them in *@hp (NULL for a
 * map). NULL at the end, or after an error.
 */
static void *kho_array_next(struct kho_array_job *job, unsigned int *nr,
			    unsigned long *base, struct kho_array_page **hp)
{
	const struct kho_array_map *map = job->map;
	unsigned int p;

	*hp = NULL;
	if (READ_ONCE(job->err))
		return NULL;
	if (map) {
		/* Random access: no lock. */
		p = atomic_fetch_inc(&job->page);
		if (p >= map->nr_pages)
			return NULL;
		*base = (unsigned long)p * map->per_page;
		*nr = min_t(unsigned long, map->nr - *base, map->per_page);
		return map->pages[p];
	}
	*hp = kho_array_take(job);
	if (!*hp)
		return NULL;
	*nr = (*hp)->nr;
	*base = job->n;
	job->n += *nr;
	return kho_array_records(*hp);
}

/* Read pages until there are none left or one failed. */
static void kho_array_run(struct kho_array_job *job)
{
	struct kho_array_page *h;
	unsigned long base;
	unsigned int nr;
	void *recs;
	int err;

	while ((recs = kho_array_next(job, &nr, &base, &h))) {
		err = job->fn(job->arg, recs, nr, base);
		if (err)
			kho_array_fail(job, err);
		if (h)
			folio_put(virt_to_folio(h));
		/* Possibly a terabyte of records: let others run. */
		cond_resched();
	}
}

static void kho_array_work(struct work_struct *work)
{
	struct kho_array_worker *w = container_of(work, struct kho_array_worker,
						  work);
	struct mem_cgroup *old = set_active_memcg(w->job->memcg);

	kho_array_run(w->job);
	set_active_memcg(old);
}

/*
 * Run @job in the caller and in up to @threads - 1 workqueue workers, and
 * wait for them. Return: 0, or the first error.
 */
static int kho_array_walk(struct kho_array_job *job, unsigned int threads)
{
	struct kho_array_worker *w = NULL;
	unsigned int nr = 0, i;
	cpumask_var_t busy;
	int nid, cpu;

	if (threads > 1 && zalloc_cpumask_var(&busy, GFP_KERNEL)) {
		w = kcalloc(threads - 1, sizeof(*w), GFP_KERNEL);
		cpu = raw_smp_processor_id();
		nid = cpu_to_node(cpu);
		__cpumask_set_cpu(cpu, busy);
		job->memcg = w ? get_mem_cgroup_from_mm(NULL) : NULL;
		/*
		 * Each worker on a CPU of its own, bound to it, the nodes with
		 * CPUs taken in turn: unbound workers may be woken next to the
		 * caller and stay there. A CPU going offline meanwhile only
		 * moves its worker.
		 */
		for (nr = 0; w && nr < threads - 1; nr++) {
			nid = next_node_in(nid, node_states[N_CPU]);
			cpu = cpumask_nth_and_andnot(0, cpumask_of_node(nid),
						     cpu_online_mask, busy);
			if (cpu >= nr_cpu_ids)
				cpu = cpumask_nth_andnot(0, cpu_online_mask,
							 busy);
			if (cpu >= nr_cpu_ids)
				break;
			__cpumask_set_cpu(cpu, busy);
			w[nr].job = job;
			INIT_WORK(&w[nr].work, kho_array_work);
			queue_work_on(cpu, system_long_wq, &w[nr].work);
		}
		free_cpumask_var(busy);
	}
	/* Without memory for the workers, the caller reads it all. */
	kho_array_run(job);
	for (i = 0; i < nr; i++)
		flush_work(&w[i].work);
	mem_cgroup_put(job->memcg);
	kfree(w);
	return job->err;
}

/**
 * kho_array_restore_pages() - read an array the previous kernel preserved,
 *	a page of records at a time
 * @client: the owner of its pages
 * @phys: kho_array_phys() of the array in the previous kernel, 0 if empty
 * @rec_size: bytes per record, as written
 * @fn: called with @arg for the @nr records at @recs of one page, the
 *	first of them record number @first; a non-zero return stops the
 *	walk and is returned
 * @arg: passed to @fn
 *
 * As kho_array_restore(), but @fn gets a page of records at a time (up to
 * a page's worth), so that it can batch what it does with them. After an
 * error the pages not read yet stay preserved until kho_finish() releases
 * them.
 *
 * Context: process context; may sleep.
 * Return: the number of records, or a negative error as for
 * kho_array_restore().
 */
long kho_array_restore_pages(struct kho_client *client, phys_addr_t phys,
			     size_t rec_size,
			     int (*fn)(void *arg, const void *recs,
				       unsigned int nr, unsigned long first),
			     void *arg)
{
	struct kho_array_job job = {
		.client = client, .rec_size = rec_size, .fn = fn, .arg = arg,
		.next = phys,
	};

	kho_array_run(&job);
	return job.err ? job.err : (long)job.n;
}
EXPORT_SYMBOL_GPL(kho_array_restore_pages);

/* kho_array_restore()'s function, called for each record of a page. */
struct kho_array_each {
	int (*fn)(void *arg, const void *rec, unsigned long i);
	void *arg;
	size_t rec_size;
};

static int kho_array_each(void *arg, const void *recs, unsigned int nr,
			  unsigned long first)
{
	struct kho_array_each *e = arg;
	unsigned int i;
	int err = 0;

	for (i = 0; i < nr && !err; i++)
		err = e->fn(e->arg, recs + i * e->rec_size, first + i);
	return err;
}

/**
 * kho_array_restore() - read an array the previous kernel preserved
 * @client: the owner of its pages
 * @phys: kho_array_phys() of the array in the previous kernel, 0 if empty
 * @rec_size: bytes per record, as written
 * @fn: called for each record with @arg, the record and its index; a
 *	non-zero return stops the walk and is returned
 * @arg: passed to @fn
 *
 * Each page is taken back, checked and freed once its records were read:
 * a chain that loops, or pages not preserved by @client, stop the walk
 * with an error.
 *
 * Context: process context; may sleep.
 * Return: the number of records, or a negative error: -EINVAL for a
 * corrupted page or a different record size, the errors of
 * kho_restore_folio(), or the error of @fn.
 */
long kho_array_restore(struct kho_client *client, phys_addr_t phys,
		       size_t rec_size,
		       int (*fn)(void *arg, const void *rec, unsigned long i),
		       void *arg)
{
	struct kho_array_each e = { .fn = fn, .arg = arg, .rec_size = rec_size };

	return kho_array_restore_pages(client, phys, rec_size, kho_array_each,
				       &e);
}
EXPORT_SYMBOL_GPL(kho_array_restore);

/**
 * kho_array_map() - take every page of an array the previous kernel
 *	preserved, for random access to its records
 * @client: the owner of its pages
 * @phys: kho_array_phys() of the array in the previous kernel, 0 if empty
 * @rec_size: bytes per record, as written
 * @map: filled in; kho_array_map_rec() reads record i
 *
 * The pages are checked as kho_array_restore() checks them, and every page
 * but the last must be full, as kho_array_add() leaves them. They stay
 * taken until kho_array_unmap(), and the records may be written to.
 *
 * Context: process context; may sleep and allocate.
 * Return: 0; -ENOMEM, or a negative error as for kho_array_restore() (the
 * pages taken so far are freed, the others stay preserved).
 */
int kho_array_map(struct kho_client *client, phys_addr_t phys,
		  size_t rec_size, struct kho_array_map *map)
{
	unsigned int cap = 0;
	void **pages;

	*map = (struct kho_array_map){ .rec_size = rec_size };
	if (!rec_size || rec_size > KHO_ARRAY_ROOM)
		return -EINVAL;
	map->per_page = KHO_ARRAY_ROOM / rec_size;
	while (phys) {
		struct kho_array_page *h;

		if (map->nr_pages == cap) {
			cap = cap ? 2 * cap : 16;
			pages = kvrealloc(map->pages,
					  array_size(cap, sizeof(*pages)),
					  GFP_KERNEL);
			if (!pages) {
				kho_array_unmap(map);
				return -ENOMEM;
			}
			map->pages = pages;
		}
		h = kho_restore_preserved(client, phys, PAGE_SIZE);
		if (IS_ERR(h)) {
			kho_array_unmap(map);
			return PTR_ERR(h);
		}
		map->pages[map->nr_pages++] = kho_array_records(h);
		/* Only the last page may be partly filled. */
		if (h->magic != KHO_ARRAY_MAGIC || h->rec_size != rec_size ||
		    h->nr > map->per_page ||
		    (h->next && h->nr != map->per_page)) {
			kho_array_unmap(map);
			return -EINVAL;
		}
		map->nr += h->nr;
		phys = h->next;
		cond_resched();
	}
	return 0;
}
EXPORT_SYMBOL_GPL(kho_array_map);

/**
 * kho_array_map_parallel() - read the records of a map, a page at a time,
 *	with several threads
 * @map: from kho_array_map()
 * @fn: called with @arg for the @nr records at @recs of one page of @map,
 *	the first of them record number @first; a non-zero return stops the
 *	walk and is returned
 * @arg: passed to @fn
 * @threads: at most this many threads, the caller included; 1 reads the
 *	pages in order in the caller
 *
 * The pages, which kho_array_map() took and which stay taken, are handed
 * out one at a time to the caller and to up to @threads - 1 workqueue
 * workers, each bound to an online CPU of its own other than the caller's,
 * the nodes with CPUs taken in turn. @fn then runs concurrently on
 * different pages, in no particular order, and must be safe for that. The
 * workers charge memory to the caller's memory cgroup. After an error the
 * other threads stop before their next page.
 *
 * Context: process context; may sleep.
 * Return: the number of records read, or the first error of @fn.
 */
long kho_array_map_parallel(const struct kho_array_map *map,
			    int (*fn)(void *arg, const void *recs,
				      unsigned int nr, unsigned long first),
			    void *arg, unsigned int threads)
{
	struct kho_array_job job = {
		.rec_size = map->rec_size, .fn = fn, .arg = arg, .map = map,
	};
	int err = kho_array_walk(&job, map->nr_pages > 1 ? threads : 1);

	return err < 0 ? err : (long)map->nr;
}
EXPORT_SYMBOL_GPL(kho_array_map_parallel);

/**
 * kho_array_unmap() - free the pages kho_array_map() took
 * @map: the map, empty afterwards
 *
 * Context: process context.
 */
void kho_array_unmap(struct kho_array_map *map)
{
	unsigned int i;

	for (i = 0; i < map->nr_pages; i++)
		folio_put(virt_to_folio(map->pages[i]));
	kvfree(map->pages);
	*map = (struct kho_array_map){ .rec_size = map->rec_size };
}
EXPORT_SYMBOL_GPL(kho_array_unmap);
