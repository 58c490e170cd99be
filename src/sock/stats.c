/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Byte and connection counters of the sock layer, per implementation, for the
 * metrics endpoint (docs/metrics.md).
 *
 * Each OS thread that moves socket data gets one counter block of its own
 * (thread-local pointer; the block is allocated and put on a global list the
 * first time, under a mutex taken only then and by the collector). Only that
 * thread writes its block: an update is a relaxed load, an add and a relaxed
 * store (plain moves on x86, no locked instruction), so the I/O path pays a
 * few instructions and never waits. The collector sums the blocks with relaxed
 * loads; a block outlives its thread (counters are totals since start), so it
 * is never freed: one block per OS thread that ever used a socket.
 */
#include <pthread.h>
#include <stdlib.h>

#include "sock/sock_internal.h"
#include "spdk_io/metrics.h"

struct sock_stats {
	uint64_t rx[SOCK_STATS_IMPL_MAX];
	uint64_t tx[SOCK_STATS_IMPL_MAX];
	uint64_t accepted[SOCK_STATS_IMPL_MAX];
	struct sock_stats *next;
};

static pthread_mutex_t g_stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sock_stats *g_stats_list;
/* initial-exec: a plain %fs-relative load instead of a __tls_get_addr call per update (the
 * library is linked at start, not dlopen()ed late; 8 bytes of static TLS). */
static _Thread_local struct sock_stats *t_stats __attribute__((tls_model("initial-exec")));

/* First update on this thread: its block. NULL without memory (not counted). */
__attribute__((noinline, cold)) static struct sock_stats *stats_attach(void)
{
	struct sock_stats *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	pthread_mutex_lock(&g_stats_lock);
	s->next = g_stats_list;
	g_stats_list = s;
	pthread_mutex_unlock(&g_stats_lock);
	t_stats = s;
	return s;
}

static inline void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

void sock_stats_add(const struct sio_sock *sock, enum sock_stat which, uint64_t n)
{
	struct sock_stats *s = t_stats;

	if (__builtin_expect(s == NULL, 0) && (s = stats_attach()) == NULL)
		return;
	switch (which) {
	case SOCK_STAT_RX:
		stat_add(&s->rx[sock->stat_idx], n);
		break;
	case SOCK_STAT_TX:
		stat_add(&s->tx[sock->stat_idx], n);
		break;
	case SOCK_STAT_ACCEPTED:
		stat_add(&s->accepted[sock->stat_idx], n);
		break;
	}
}

void sock_stats_sum(int idx, uint64_t *rx, uint64_t *tx, uint64_t *accepted)
{
	*rx = *tx = *accepted = 0;
	pthread_mutex_lock(&g_stats_lock);
	for (struct sock_stats *s = g_stats_list; s != NULL; s = s->next) {
		*rx += __atomic_load_n(&s->rx[idx], __ATOMIC_RELAXED);
		*tx += __atomic_load_n(&s->tx[idx], __ATOMIC_RELAXED);
		*accepted += __atomic_load_n(&s->accepted[idx], __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&g_stats_lock);
}

static void sock_metrics_collect(struct sio_metrics *m, sio_done_cb done, void *cb_arg)
{
	for (int i = 0; sock_impl_table[i] != NULL && i < SOCK_STATS_IMPL_MAX; i++) {
		const char *lab[] = {"impl", sock_impl_table[i]->name, NULL};
		uint64_t rx, tx, acc;

		sock_stats_sum(i, &rx, &tx, &acc);
		sio_metrics_sample(m, "sio_sock_bytes_received_total", SIO_METRIC_COUNTER,
				   "Bytes read from sockets of the implementation (TLS: plaintext).",
				   "", lab, NULL, (double)rx);
		sio_metrics_sample(m, "sio_sock_bytes_sent_total", SIO_METRIC_COUNTER,
				   "Bytes the kernel took for sockets of the implementation (TLS: plaintext).",
				   "", lab, NULL, (double)tx);
		sio_metrics_sample(m, "sio_sock_connections_accepted_total", SIO_METRIC_COUNTER,
				   "Connections accepted on listeners of the implementation.", "", lab,
				   NULL, (double)acc);
	}
	done(cb_arg, 0);
}

const struct sio_metrics_collector sio_sock_metrics_collector = {
	.name = "sock",
	.collect = sock_metrics_collect,
};
