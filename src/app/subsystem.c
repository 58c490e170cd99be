/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Subsystems: the generated registry plus the application's own, ordered so
 * that each comes after what it depends on (a depth-first topological sort
 * that keeps registration order among independent subsystems). Init runs in
 * that order, fini in reverse, each awaited by the startup/shutdown task.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_internal.h"
#include "app/registry.h"

#define MAX_SUBSYSTEMS 128

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct sio_subsystem *g_extra[MAX_SUBSYSTEMS];
static size_t g_extra_count;
static const struct sio_subsystem *g_ordered[MAX_SUBSYSTEMS];
static size_t g_ordered_count;
static size_t g_initialized; /* how many of g_ordered have completed init */

static const struct sio_subsystem *find_any(const char *name)
{
	for (size_t i = 0; app_registry_subsystems[i] != NULL; i++) {
		if (strcmp(app_registry_subsystems[i]->name, name) == 0)
			return app_registry_subsystems[i];
	}
	for (size_t i = 0; i < g_extra_count; i++) {
		if (strcmp(g_extra[i]->name, name) == 0)
			return g_extra[i];
	}
	return NULL;
}

int sio_subsystem_register(const struct sio_subsystem *s)
{
	int rc = 0;

	if (s == NULL || s->name == NULL || s->name[0] == '\0')
		return -EINVAL;
	if (app_is_running())
		return -EBUSY;
	pthread_mutex_lock(&g_lock);
	if (find_any(s->name) != NULL)
		rc = -EEXIST;
	else if (g_extra_count == MAX_SUBSYSTEMS)
		rc = -ENOMEM;
	else
		g_extra[g_extra_count++] = s;
	pthread_mutex_unlock(&g_lock);
	return rc;
}

const struct sio_subsystem *sio_subsystem_find(const char *name)
{
	const struct sio_subsystem *s;

	if (name == NULL)
		return NULL;
	pthread_mutex_lock(&g_lock);
	s = find_any(name);
	pthread_mutex_unlock(&g_lock);
	return s;
}

enum mark { UNSEEN, VISITING, DONE };

struct sort_state {
	const struct sio_subsystem *all[MAX_SUBSYSTEMS];
	enum mark mark[MAX_SUBSYSTEMS];
	size_t n;
	const struct sio_subsystem **out;
	size_t out_n;
};

static size_t index_of(struct sort_state *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++) {
		if (strcmp(st->all[i]->name, name) == 0)
			return i;
	}
	return SIZE_MAX;
}

static int visit(struct sort_state *st, size_t i)
{
	const struct sio_subsystem *s = st->all[i];

	if (st->mark[i] == DONE)
		return 0;
	if (st->mark[i] == VISITING) {
		SIO_ERRLOG("subsystem dependency cycle through '%s'", s->name);
		return -ELOOP;
	}
	st->mark[i] = VISITING;
	for (size_t d = 0; s->depends_on != NULL && s->depends_on[d] != NULL; d++) {
		size_t j = index_of(st, s->depends_on[d]);
		int rc;

		if (j == SIZE_MAX) {
			SIO_ERRLOG("subsystem '%s' depends on '%s', which is not registered",
				   s->name, s->depends_on[d]);
			return -ENOENT;
		}
		rc = visit(st, j);
		if (rc != 0)
			return rc;
	}
	st->mark[i] = DONE;
	st->out[st->out_n++] = s;
	return 0;
}

/* Sort into @out (MAX_SUBSYSTEMS entries). Called with g_lock held. */
static int sort_locked(const struct sio_subsystem **out, size_t *count)
{
	struct sort_state st = {.out = out};

	for (size_t i = 0; app_registry_subsystems[i] != NULL && st.n < MAX_SUBSYSTEMS; i++)
		st.all[st.n++] = app_registry_subsystems[i];
	for (size_t i = 0; i < g_extra_count && st.n < MAX_SUBSYSTEMS; i++)
		st.all[st.n++] = g_extra[i];
	for (size_t i = 0; i < st.n; i++) {
		int rc = visit(&st, i);

		if (rc != 0)
			return rc;
	}
	*count = st.out_n;
	return 0;
}

int app_subsystem_registry_load(void)
{
	int rc;

	pthread_mutex_lock(&g_lock);
	rc = sort_locked(g_ordered, &g_ordered_count);
	pthread_mutex_unlock(&g_lock);
	return rc;
}

int sio_subsystem_foreach(sio_subsystem_visit_fn fn, void *ctx)
{
	const struct sio_subsystem *order[MAX_SUBSYSTEMS];
	size_t n = 0;
	int rc;

	if (fn == NULL)
		return -EINVAL;
	pthread_mutex_lock(&g_lock);
	rc = sort_locked(order, &n);
	pthread_mutex_unlock(&g_lock);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		fn(order[i], ctx);
	return 0;
}

const struct sio_subsystem *const *app_subsystem_ordered(size_t *n)
{
	*n = g_ordered_count;
	return g_ordered;
}

bool app_subsystem_is_initialized(void)
{
	return g_ordered_count > 0 && g_initialized == g_ordered_count;
}

/* Run one init/fini callback and park the task until it reports. */
static int await_step(void (*step)(sio_done_cb, void *))
{
	struct sio_future f;
	int rc = sio_future_init(&f);

	if (rc != 0)
		return rc;
	step(sio_future_cb, &f);
	return sio_await(&f);
}

int app_subsystem_init_all(void)
{
	g_initialized = 0;
	for (size_t i = 0; i < g_ordered_count; i++) {
		const struct sio_subsystem *s = g_ordered[i];
		int rc = 0;

		if (s->init != NULL)
			rc = await_step(s->init);
		if (rc != 0) {
			SIO_ERRLOG("subsystem '%s' failed to initialise: %s", s->name,
				   strerror(rc < 0 ? -rc : rc));
			return rc < 0 ? rc : -EIO;
		}
		SIO_DEBUGLOG("app", "subsystem '%s' initialised", s->name);
		g_initialized = i + 1;
	}
	return 0;
}

void app_subsystem_fini_all(void)
{
	/* Only what came up goes down, newest first. */
	while (g_initialized > 0) {
		const struct sio_subsystem *s = g_ordered[--g_initialized];

		if (s->fini != NULL) {
			int rc = await_step(s->fini);

			if (rc != 0)
				SIO_WARNLOG("subsystem '%s' fini: %s", s->name, strerror(-rc));
		}
		SIO_DEBUGLOG("app", "subsystem '%s' finished", s->name);
	}
}

json_t *sio_app_save_config(void)
{
	json_t *subs = json_array();
	json_t *root = json_pack("{s:o}", "subsystems", subs);

	if (root == NULL)
		return NULL;
	for (size_t i = 0; i < g_ordered_count; i++) {
		const struct sio_subsystem *s = g_ordered[i];
		json_t *cfg = json_array();

		if (s->write_config != NULL)
			s->write_config(cfg);
		if (json_array_append_new(subs, json_pack("{s:s, s:o}", "subsystem", s->name,
							  "config", cfg)) != 0) {
			json_decref(root);
			return NULL;
		}
	}
	return root;
}
