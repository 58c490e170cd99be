/* SPDX-License-Identifier: BSD-3-Clause */
/* Tasks: spawn on this thread or another, the first entry, and the end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "async/async_internal.h"

/* Update when a field is added to struct sio_task_opts. */
_Static_assert(sizeof(struct sio_task_opts) == 32, "sio_task_opts changed: update opts copy");

/* The sio_task_opts.flags this build knows. */
#define TASK_FLAGS_KNOWN SIO_TASK_OWN_FP_CONTROL

void sio_task_opts_init(struct sio_task_opts *opts, size_t opts_size)
{
	struct sio_task_opts def = {
		.opts_size = opts_size,
		.stack_size = ASYNC_STACK_DEFAULT,
		.name = NULL,
		.flags = 0,
	};

	if (opts == NULL || opts_size == 0)
		return;
	memcpy(opts, &def, opts_size < sizeof(def) ? opts_size : sizeof(def));
}

/* Fields of @opts the caller knows about, over the defaults. */
static int opts_read(const struct sio_task_opts *opts, size_t *stack_size, const char **name,
		     uint64_t *flags)
{
	*stack_size = ASYNC_STACK_DEFAULT;
	*name = NULL;
	*flags = 0;
	if (opts == NULL)
		return 0;
	if (opts->opts_size < sizeof(opts->opts_size))
		return -EINVAL;
	if (opts->opts_size >= offsetof(struct sio_task_opts, stack_size) + sizeof(size_t))
		*stack_size = opts->stack_size;
	if (opts->opts_size >= offsetof(struct sio_task_opts, name) + sizeof(char *))
		*name = opts->name;
	if (opts->opts_size >= offsetof(struct sio_task_opts, flags) + sizeof(uint64_t))
		*flags = opts->flags;
	if (*flags & ~(uint64_t)TASK_FLAGS_KNOWN)
		return -EINVAL;
	if (*stack_size > ASYNC_STACK_MAX)
		return -EINVAL;
	return 0;
}

static void task_complete_result(struct sio_task *t, int rc)
{
	struct sio_future *f = t->result;
	int err;

	if (f == NULL)
		return;
	if (f->owner == t->thread)
		err = sio_future_complete(f, rc, NULL);
	else
		err = sio_future_complete_threadsafe(f, rc, NULL);
	if (err != 0)
		SIO_ERRLOG("task %s: cannot complete its result future (%d)",
			   t->name ? t->name : "?", err);
}

static void task_entry(void *arg)
{
	struct sio_task *t = arg;
	int rc;

#if ASYNC_ASAN
	__sanitizer_finish_switch_fiber(NULL, &t->caller_stack_lo, &t->caller_stack_size);
#endif
	async_task_fp_enter(t);
	rc = t->fn(t->arg);
	task_complete_result(t, rc);
	async_task_exit(t);
}

/* @fp: the FP control state a SIO_TASK_OWN_FP_CONTROL task starts with
 * (the spawner's), NULL for the running one. */
static int task_create(struct async_thread *at, size_t stack_size, const char *name,
		       uint64_t flags, const struct async_fpctl *fp, sio_task_fn fn, void *arg,
		       struct sio_future *result)
{
	struct async_stack *st;
	struct sio_task *t;
	int rc;

	rc = async_stack_get(&at->stacks, stack_size, &st);
	if (rc != 0)
		return rc;
	/* The control block sits at the top of the stack, cache-line aligned. */
	t = (struct sio_task *)(((uintptr_t)st->hi - sizeof(*t)) & ~(uintptr_t)63);
	/* Field by field rather than memset(): ctx is async_ctx_make()'s, and
	 * caller and rq_next are set when the task is queued and resumed. */
	t->wake = TASK_WAKE_NONE;
	t->wait_obj = NULL;
	t->wait_rc = 0;
	t->wait_done = 0;
	t->at = at;
	t->thread = at->thread;
	t->stack = st;
	t->fn = fn;
	t->arg = arg;
	t->result = result;
	t->name = name;
	t->flags = 0;
	if (flags & SIO_TASK_OWN_FP_CONTROL) {
		t->flags |= ASYNC_TASK_F_FPCTL;
#if ASYNC_FPCTL_BY_TASK
		if (fp != NULL)
			t->fp = *fp;
		else
			async_fpctl_save(&t->fp);
#endif
	}
	(void)fp;
	/* The first frame starts ASYNC_STACK_TOP_GAP below the control block
	 * (async_internal.h, docs/async.md "Stack lines of a parked task"). */
	async_ctx_make(&t->ctx, st->lo,
		       (size_t)((char *)t - (char *)st->lo) - ASYNC_STACK_TOP_GAP, task_entry, t);
#if ASYNC_TSAN
	t->tsan_fiber = __tsan_create_fiber(0);
#endif
	at->spawned++;
	if (at->ntasks++ == 0 && !at->linger_paused) {
		sio_poller_pause(at->linger_poller);
		at->linger_paused = true;
	}
	t->state = TASK_READY;
	async_task_enqueue(t);
	return 0;
}

int sio_task_spawn(const struct sio_task_opts *opts, sio_task_fn fn, void *arg,
		   struct sio_future *result)
{
	struct async_thread *at;
	const char *name;
	size_t stack_size;
	uint64_t flags;
	int rc;

	if (fn == NULL)
		return -EINVAL;
	rc = opts_read(opts, &stack_size, &name, &flags);
	if (rc != 0)
		return rc;
	at = async_thread_get(true, &rc);
	if (at == NULL)
		return rc;
	rc = task_create(at, stack_size, name, flags, NULL, fn, arg, result);
	if (rc == 0 && result != NULL)
		rc = sio_future_init(result); /* cannot fail: we are on a thread */
	return rc;
}

/* A spawn travelling to another thread. Cross-thread spawns are not the hot
 * path, so the request is heap-allocated rather than pooled. */
struct spawn_req {
	sio_task_fn fn;
	void *arg;
	size_t stack_size;
	const char *name;
	uint64_t flags;
	struct async_fpctl fp; /* the spawner's, for SIO_TASK_OWN_FP_CONTROL */
	struct sio_future *result;
};

static void spawn_msg(void *ctx)
{
	struct spawn_req *req = ctx;
	struct async_thread *at;
	int rc;

	at = async_thread_get(true, &rc);
	if (at != NULL)
		rc = task_create(at, req->stack_size, req->name, req->flags, &req->fp, req->fn,
				 req->arg, req->result);
	if (rc != 0) {
		SIO_ERRLOG("spawn on thread %s failed (%d)",
			   sio_thread_get_name(sio_thread_get_current()), rc);
		/* The spawner may be waiting on the result: tell it. */
		if (req->result != NULL)
			sio_future_complete_threadsafe(req->result, rc, NULL);
	}
	free(req);
}

int sio_task_spawn_on(struct sio_thread *thread, const struct sio_task_opts *opts,
		      sio_task_fn fn, void *arg, struct sio_future *result)
{
	struct spawn_req *req;
	const char *name;
	size_t stack_size;
	uint64_t flags;
	int rc;

	if (thread == NULL || fn == NULL)
		return -EINVAL;
	if (thread == sio_thread_get_current())
		return sio_task_spawn(opts, fn, arg, result);
	rc = opts_read(opts, &stack_size, &name, &flags);
	if (rc != 0)
		return rc;
	if (result != NULL) {
		rc = sio_future_init(result);
		if (rc != 0)
			return rc;
	}
	req = malloc(sizeof(*req));
	if (req == NULL)
		return -ENOMEM;
	*req = (struct spawn_req){ .fn = fn, .arg = arg, .stack_size = stack_size, .name = name,
				   .flags = flags, .result = result };
	async_fpctl_save(&req->fp);
	rc = sio_thread_send_msg(thread, spawn_msg, req);
	if (rc != 0)
		free(req);
	return rc;
}

struct sio_task *sio_task_current(void)
{
	return tls_async_task;
}

bool sio_in_task(void)
{
	return tls_async_task != NULL;
}
