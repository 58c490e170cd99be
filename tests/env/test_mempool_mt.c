/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pool objects taken on one OS thread and returned on another, through a
 * ring, while every thread also churns its own cache. At the end every
 * object is back and no object was ever held twice.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spdk_io/env.h"
#include "stress_scale.h"

#define NOBJS 512
#define NTHREADS 3

struct shared {
	struct sio_mempool *mp;
	struct sio_ring *to_consumer;
	atomic_uint owner[NOBJS]; /* 0 = free, else holder id */
	uint64_t iters;
	atomic_ulong handed_over;
};

static unsigned int obj_index(struct shared *s, void *o, void *base)
{
	return (unsigned int)(((char *)o - (char *)base) / 64);
}

static void *g_base;

static void claim(struct shared *s, void *o, unsigned int who)
{
	unsigned int expect = 0;

	/* exactly one holder at a time */
	if (!atomic_compare_exchange_strong(&s->owner[obj_index(s, o, g_base)], &expect, who))
		fail_msg("object %p held twice (by %u and %u)", o, expect, who);
	((volatile uint64_t *)o)[0] = who;
}

static void release(struct shared *s, void *o, unsigned int who)
{
	unsigned int expect = who;

	assert_int_equal(((volatile uint64_t *)o)[0], who);
	if (!atomic_compare_exchange_strong(&s->owner[obj_index(s, o, g_base)], &expect, 0))
		fail_msg("object %p released by %u but held by %u", o, who, expect);
}

static void *producer(void *arg)
{
	struct shared *s = arg;
	unsigned int me = 1;

	for (uint64_t i = 0; i < s->iters; i++) {
		void *o = sio_mempool_get(s->mp);
		void *batch[8];

		if (o != NULL) {
			claim(s, o, me);
			release(s, o, me);
			/* hand it to the consumer thread, which puts it back */
			while (sio_ring_enqueue(s->to_consumer, &o, 1) == 0)
				sched_yield();
			atomic_fetch_add(&s->handed_over, 1);
		}
		if (sio_mempool_get_bulk(s->mp, batch, 8) == 0) {
			for (int k = 0; k < 8; k++)
				claim(s, batch[k], me);
			for (int k = 0; k < 8; k++)
				release(s, batch[k], me);
			sio_mempool_put_bulk(s->mp, batch, 8);
		}
	}
	return NULL;
}

struct churn_arg {
	struct shared *s;
	unsigned int id;
};

static void *churner(void *arg)
{
	struct churn_arg *a = arg;
	void *held[16];

	for (uint64_t i = 0; i < a->s->iters; i++) {
		int n = 0;

		for (; n < 16; n++) {
			held[n] = sio_mempool_get(a->s->mp);
			if (held[n] == NULL)
				break;
			claim(a->s, held[n], a->id);
		}
		for (int k = 0; k < n; k++) {
			release(a->s, held[k], a->id);
			sio_mempool_put(a->s->mp, held[k]);
		}
	}
	return NULL;
}

static void test_cross_thread(void **state)
{
	struct shared *s = calloc(1, sizeof(*s));
	const char *env = getenv("SIO_STRESS_ITEMS");
	pthread_t prod, churn[NTHREADS - 1];
	struct churn_arg ca[NTHREADS - 1];
	uint64_t received = 0;
	void *o;

	s->iters = env ? strtoull(env, NULL, 10) / 10 : 200000 / STRESS_DIVISOR;
	s->mp = sio_mempool_create("mt", NOBJS, 64, 32, false);
	s->to_consumer = sio_ring_create(SIO_RING_SP_SC, 64);
	assert_non_null(s->mp);
	/* objects are laid out at a 64-byte stride from the lowest address */
	assert_int_equal(sio_mempool_get_bulk(s->mp, &o, 1), 0);
	g_base = o;
	sio_mempool_put(s->mp, o);

	pthread_create(&prod, NULL, producer, s);
	for (unsigned int i = 0; i < NTHREADS - 1; i++) {
		ca[i] = (struct churn_arg){s, 10 + i};
		pthread_create(&churn[i], NULL, churner, &ca[i]);
	}
	/* this thread is the consumer: return what the producer hands over */
	for (;;) {
		if (sio_ring_dequeue(s->to_consumer, &o, 1) == 1) {
			sio_mempool_put(s->mp, o);
			received++;
			continue;
		}
		if (pthread_tryjoin_np(prod, NULL) == 0)
			break;
		sched_yield();
	}
	while (sio_ring_dequeue(s->to_consumer, &o, 1) == 1) {
		sio_mempool_put(s->mp, o);
		received++;
	}
	for (unsigned int i = 0; i < NTHREADS - 1; i++)
		pthread_join(churn[i], NULL);
	assert_int_equal(received, atomic_load(&s->handed_over));
	assert_true(received > 0);
	/* exited threads flushed their caches: everything is back */
	assert_int_equal(sio_mempool_in_use(s->mp), 0);
	assert_int_equal(sio_mempool_count(s->mp), NOBJS);
	for (unsigned int i = 0; i < NOBJS; i++)
		assert_int_equal(atomic_load(&s->owner[i]), 0);
	sio_ring_destroy(s->to_consumer);
	sio_mempool_destroy(s->mp);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cross_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
