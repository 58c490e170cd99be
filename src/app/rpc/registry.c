/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registered RPC methods: the generated registry's tables plus the
 * application's own, kept as one array sorted by name for lookup.
 * Registration happens while no app runs; lookups happen on the app thread,
 * so the lock only guards registration against a concurrent load.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_internal.h"
#include "app/registry.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct sio_rpc_method **g_methods;
static size_t g_count;
static bool g_loaded;
static uint32_t g_state = SIO_RPC_STARTUP;

static int cmp_method(const void *a, const void *b)
{
	const struct sio_rpc_method *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static const struct sio_rpc_method *lookup(const char *name)
{
	size_t lo = 0, hi = g_count;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, g_methods[mid]->name);

		if (c == 0)
			return g_methods[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int check_method(const struct sio_rpc_method *m)
{
	if (m->name == NULL || m->name[0] == '\0' || m->handler == NULL ||
	    (m->state_mask & (SIO_RPC_STARTUP | SIO_RPC_RUNTIME)) == 0)
		return -EINVAL;
	if (m->param_count > 0 && (m->params == NULL || m->params_size == 0))
		return -EINVAL;
	for (size_t i = 0; i < m->param_count; i++) {
		if (m->params[i].name == NULL || m->params[i].offset >= m->params_size)
			return -EINVAL;
	}
	return 0;
}

/* Add every method of @t, all or nothing. Called with g_lock held. */
static int add_table(const struct sio_rpc_method_table *t)
{
	const struct sio_rpc_method **grown;

	if (t == NULL || (t->count > 0 && t->methods == NULL))
		return -EINVAL;
	for (size_t i = 0; i < t->count; i++) {
		int rc = check_method(&t->methods[i]);

		if (rc != 0) {
			SIO_ERRLOG("RPC method #%zu (%s) is malformed", i,
				   t->methods[i].name ? t->methods[i].name : "(no name)");
			return rc;
		}
		if (lookup(t->methods[i].name) != NULL) {
			SIO_ERRLOG("RPC method %s is registered twice", t->methods[i].name);
			return -EEXIST;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(t->methods[i].name, t->methods[j].name) == 0) {
				SIO_ERRLOG("RPC method %s is listed twice in one table",
					   t->methods[i].name);
				return -EEXIST;
			}
		}
	}
	grown = realloc(g_methods, (g_count + t->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return -ENOMEM;
	g_methods = grown;
	for (size_t i = 0; i < t->count; i++)
		g_methods[g_count++] = &t->methods[i];
	qsort(g_methods, g_count, sizeof(*g_methods), cmp_method);
	return 0;
}

static int load_locked(void)
{
	int rc = 0;

	if (g_loaded)
		return 0;
	for (size_t i = 0; app_registry_rpc_tables[i] != NULL; i++) {
		rc = add_table(app_registry_rpc_tables[i]);
		if (rc != 0)
			return rc;
	}
	g_loaded = true;
	return 0;
}

int app_rpc_registry_load(void)
{
	int rc;

	pthread_mutex_lock(&g_lock);
	rc = load_locked();
	pthread_mutex_unlock(&g_lock);
	return rc;
}

int sio_rpc_register_table(const struct sio_rpc_method_table *table)
{
	int rc;

	if (table == NULL)
		return -EINVAL;
	if (app_is_running())
		return -EBUSY;
	pthread_mutex_lock(&g_lock);
	rc = load_locked();
	if (rc == 0)
		rc = add_table(table);
	pthread_mutex_unlock(&g_lock);
	return rc;
}

const struct sio_rpc_method *sio_rpc_find_method(const char *name)
{
	const struct sio_rpc_method *m;

	if (name == NULL)
		return NULL;
	pthread_mutex_lock(&g_lock);
	m = load_locked() == 0 ? lookup(name) : NULL;
	pthread_mutex_unlock(&g_lock);
	return m;
}

void sio_rpc_foreach_method(sio_rpc_method_visit_fn fn, void *ctx)
{
	size_t n;

	if (fn == NULL)
		return;
	pthread_mutex_lock(&g_lock);
	n = load_locked() == 0 ? g_count : 0;
	pthread_mutex_unlock(&g_lock);
	/* Entries only get added while no app runs: the first n stay valid and sorted. */
	for (size_t i = 0; i < n; i++)
		fn(g_methods[i], ctx);
}

uint32_t app_rpc_get_state(void)
{
	return __atomic_load_n(&g_state, __ATOMIC_ACQUIRE);
}

void app_rpc_set_state(uint32_t state)
{
	__atomic_store_n(&g_state, state, __ATOMIC_RELEASE);
}
