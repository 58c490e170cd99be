/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Messages: a per-thread MPSC ring of message objects taken from one global
 * pool with per-OS-thread caches, so a send is a cache pop, a ring enqueue
 * and a fence, with no lock and no malloc.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "spdk_io/trace.h"
#include "thread_internal.h"

static struct sio_mempool *g_msg_pool;
static pthread_once_t g_msg_pool_once = PTHREAD_ONCE_INIT;

static void msg_pool_create(void)
{
	/* Lives as long as the process: a sender on a foreign OS thread may
	 * still hold cached objects when the last sio_thread goes away. */
	g_msg_pool = sio_mempool_create("sio_thread_msgs", THREAD_MSG_POOL_SIZE,
					sizeof(struct thread_msg), SIO_MEMPOOL_CACHE_DEFAULT, false);
	if (g_msg_pool == NULL)
		SIO_ERRLOG("cannot create the message pool (%d objects)", THREAD_MSG_POOL_SIZE);
}

struct sio_mempool *thread_msg_pool(void)
{
	return g_msg_pool;
}

int thread_msg_pool_init(void)
{
	pthread_once(&g_msg_pool_once, msg_pool_create);
	return g_msg_pool != NULL ? 0 : -ENOMEM;
}

void thread_wake(struct sio_thread *t)
{
	struct thread_intr *in;

	/*
	 * No interrupt fd: nobody can be asleep on this thread, so no fence.
	 * A sender that read intr == NULL just before the fd was set up is
	 * covered by the membarrier() in sio_thread_get_interrupt_fd(): by the
	 * time the poller can go to sleep, that sender's message is visible
	 * to the poller's ring check. Relaxed: only NULL or not matters here.
	 */
	if (atomic_load_explicit(&t->intr, memory_order_relaxed) == NULL)
		return;
	/*
	 * Dekker handshake with thread_intr_poll_end(): we published a message
	 * and now read `sleeping`; the poller stored `sleeping` and then reads
	 * the ring. This seq_cst fence pairs with the one in
	 * thread_intr_poll_end(), so at least one side sees the other: either
	 * we see sleeping and write the eventfd, or the poller sees our message
	 * and does not sleep.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&t->sleeping, memory_order_relaxed))
		return;
	/* Only the producer that flips it writes, so a burst costs one syscall. */
	if (!atomic_exchange_explicit(&t->sleeping, false, memory_order_relaxed))
		return;
	/* Acquire pairs with the release publish in sio_thread_get_interrupt_fd(). */
	in = atomic_load_explicit(&t->intr, memory_order_acquire);
	eventfd_write(in->efd, 1);
}

static int send_overflow(struct sio_thread *t, sio_msg_fn fn, void *ctx)
{
	struct thread_overflow_msg *o;

	o = malloc(sizeof(*o));
	if (o == NULL) {
		/* Nothing sane is left: an internal completion would be lost. */
		SIO_ERRLOG("out of memory queueing an internal message to %s", t->name);
		abort();
	}
	o->fn = fn;
	o->ctx = ctx;
	pthread_mutex_lock(&t->overflow_lock);
	TAILQ_INSERT_TAIL(&t->overflow, o, link);
	/* Release pairs with the acquire load in thread_run_msgs(). */
	atomic_fetch_add_explicit(&t->overflow_count, 1, memory_order_release);
	pthread_mutex_unlock(&t->overflow_lock);
	return 0;
}

static int thread_send(struct sio_thread *t, sio_msg_fn fn, void *ctx, bool critical)
{
	struct thread_msg *m;
	int rc = 0;

	if (t == NULL || fn == NULL)
		return -EINVAL;
	/*
	 * Counted as in flight until we stop touching @t: our message may run
	 * and lead to @t's destruction before this function returns (the last
	 * ping-pong reply), so sio_thread_destroy() waits for senders == 0.
	 * Relaxed: the increment happens-before our enqueue, which
	 * happens-before the message runs and thus before any destroy.
	 */
	atomic_fetch_add_explicit(&t->senders, 1, memory_order_relaxed);
	/* Acquire pairs with the release in thread_check_exited(). */
	if (atomic_load_explicit(&t->state, memory_order_acquire) == THREAD_STATE_EXITED) {
		rc = -ESHUTDOWN;
		goto out;
	}
	m = sio_mempool_get(g_msg_pool);
	if (m != NULL) {
		m->fn = fn;
		m->ctx = ctx;
		/* The ring's publish is a release store; the consumer's dequeue
		 * acquires it, so fn/ctx written above are visible to it. */
		if (sio_ring_enqueue(t->ring, (void *const *)&m, 1) == 1)
			goto wake;
		sio_mempool_put(g_msg_pool, m);
	}
	if (!critical) {
		rc = -ENOMEM;
		goto out;
	}
	send_overflow(t, fn, ctx);
wake:
	thread_wake(t);
out:
	/* Release pairs with the acquire load in sio_thread_destroy(). */
	atomic_fetch_sub_explicit(&t->senders, 1, memory_order_release);
	return rc;
}

int sio_thread_send_msg(struct sio_thread *thread, sio_msg_fn fn, void *ctx)
{
	return thread_send(thread, fn, ctx, false);
}

int thread_send_critical(struct sio_thread *t, sio_msg_fn fn, void *ctx)
{
	return thread_send(t, fn, ctx, true);
}

bool thread_has_msgs(struct sio_thread *t)
{
	return sio_ring_count(t->ring) != 0 ||
	       atomic_load_explicit(&t->overflow_count, memory_order_relaxed) != 0;
}

bool thread_has_ready_msgs(struct sio_thread *t)
{
	return sio_ring_ready(t->ring) ||
	       atomic_load_explicit(&t->overflow_count, memory_order_relaxed) != 0;
}

static uint32_t run_overflow(struct sio_thread *t)
{
	struct overflow_tailq list = TAILQ_HEAD_INITIALIZER(list);
	struct thread_overflow_msg *o;
	uint32_t n = 0;

	pthread_mutex_lock(&t->overflow_lock);
	TAILQ_CONCAT(&list, &t->overflow, link);
	atomic_store_explicit(&t->overflow_count, 0, memory_order_relaxed);
	pthread_mutex_unlock(&t->overflow_lock);
	while ((o = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, o, link);
		o->fn(o->ctx);
		free(o);
		n++;
	}
	return n;
}

uint32_t thread_run_msgs(struct sio_thread *t, uint32_t max)
{
	void *objs[THREAD_MSG_BATCH];
	sio_msg_fn fns[THREAD_MSG_BATCH];
	void *ctxs[THREAD_MSG_BATCH];
	uint32_t done = 0;

	if (atomic_load_explicit(&t->overflow_count, memory_order_acquire) != 0)
		done += run_overflow(t);
	/* Empty ring, the usual case of an idle thread: two loads instead of
	 * a dequeue attempt. A count of 0 never hides a published message. */
	if (sio_ring_count(t->ring) == 0)
		return done;

	while (done < max) {
		size_t want = max - done < THREAD_MSG_BATCH ? max - done : THREAD_MSG_BATCH;
		size_t n = sio_ring_dequeue(t->ring, objs, want);

		if (n == 0)
			break;
		/* Each object was just written by another core: start all the
		 * cache misses at once instead of taking them one by one. */
		for (size_t i = 0; i < n; i++)
			__builtin_prefetch(objs[i]);
		/* Copy out and return the objects before running anything, so
		 * the callbacks (ping-pong replies) can reuse them at once. */
		for (size_t i = 0; i < n; i++) {
			struct thread_msg *m = objs[i];

			fns[i] = m->fn;
			ctxs[i] = m->ctx;
		}
		sio_mempool_put_bulk(g_msg_pool, objs, n);
		for (size_t i = 0; i < n; i++) {
			SIO_TRACE(SIO_TP_THREAD_MSG_RUN, 0, (uintptr_t)fns[i], 0, 0, 0);
			fns[i](ctxs[i]);
		}
		done += (uint32_t)n;
		if (n < want)
			break;
	}
	return done;
}

void thread_msgs_fini(struct sio_thread *t)
{
	void *objs[THREAD_MSG_BATCH];
	struct thread_overflow_msg *o;
	size_t n, dropped = 0;

	while ((n = sio_ring_dequeue(t->ring, objs, THREAD_MSG_BATCH)) != 0) {
		sio_mempool_put_bulk(g_msg_pool, objs, n);
		dropped += n;
	}
	while ((o = TAILQ_FIRST(&t->overflow)) != NULL) {
		TAILQ_REMOVE(&t->overflow, o, link);
		free(o);
		dropped++;
	}
	if (dropped != 0)
		SIO_ERRLOG("thread %s: %zu messages dropped at destroy", t->name, dropped);
}
