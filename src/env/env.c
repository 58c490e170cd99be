/* SPDX-License-Identifier: BSD-3-Clause */
/* sio_env_init()/sio_env_fini(): options, core mask, memory mode. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "env_internal.h"
#include "dma_internal.h"

/* Update when a field is added to struct sio_env_opts, and copy the new
 * field in env_opts_copy() only when the caller's opts_size covers it. */
_Static_assert(sizeof(struct sio_env_opts) == 40, "sio_env_opts changed: update env.c");

static pthread_mutex_t g_env_lock = PTHREAD_MUTEX_INITIALIZER;
static bool g_env_initialized;
static struct sio_cpuset g_env_cores;
static int g_env_main_core = -1;

#define OPTS_HAS(sz, field) \
	((sz) >= offsetof(struct sio_env_opts, field) + sizeof(((struct sio_env_opts *)0)->field))

static void env_opts_defaults(struct sio_env_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->opts_size = sizeof(*o);
	o->name = "spdk-io";
	o->core_mask = "0x1";
	o->mem_size_mb = 0;
	o->hugepages = false;
	o->no_pci = true;
	o->main_core = -1;
}

void sio_env_opts_init(struct sio_env_opts *opts, size_t opts_size)
{
	struct sio_env_opts d;

	if (opts == NULL || opts_size < sizeof(opts->opts_size))
		return;
	env_opts_defaults(&d);
	/* Fill only what a caller compiled against an older, smaller struct
	 * has room for. */
	if (opts_size > sizeof(d))
		opts_size = sizeof(d);
	memcpy(opts, &d, opts_size);
	opts->opts_size = opts_size;
}

/* Copy @src into @dst field by field up to src->opts_size; fields the
 * caller does not know keep their defaults. */
static int env_opts_copy(struct sio_env_opts *dst, const struct sio_env_opts *src)
{
	size_t sz = src->opts_size;

	env_opts_defaults(dst);
	if (sz < sizeof(src->opts_size) || sz > sizeof(*src) * 4)
		return -EINVAL;
#define COPY(field)                      \
	if (OPTS_HAS(sz, field))         \
		dst->field = src->field;
	COPY(name);
	COPY(core_mask);
	COPY(mem_size_mb);
	COPY(hugepages);
	COPY(no_pci);
	COPY(main_core);
#undef COPY
	return 0;
}

int sio_env_init(const struct sio_env_opts *user)
{
	struct sio_env_opts o;
	struct sio_cpuset cores;
	int main_core, rc;

	if (user != NULL) {
		if (env_opts_copy(&o, user) != 0) {
			SIO_ERRLOG("env: bad opts_size %zu", user->opts_size);
			return -EINVAL;
		}
	} else {
		env_opts_defaults(&o);
	}

	pthread_mutex_lock(&g_env_lock);
	if (g_env_initialized) {
		rc = -EALREADY;
		goto out;
	}
	rc = -EINVAL;
	if (o.core_mask == NULL || sio_cpuset_parse(&cores, o.core_mask) != 0) {
		SIO_ERRLOG("env: bad core mask '%s'", o.core_mask ? o.core_mask : "(null)");
		goto out;
	}
	if (sio_cpuset_count(&cores) == 0) {
		SIO_ERRLOG("env: core mask '%s' selects no core", o.core_mask);
		goto out;
	}
	main_core = o.main_core < 0 ? sio_cpuset_next(&cores, -1) : o.main_core;
	if (main_core >= SIO_CPUSET_MAX || !sio_cpuset_is_set(&cores, (unsigned int)main_core)) {
		SIO_ERRLOG("env: main core %d is not in core mask '%s'", o.main_core, o.core_mask);
		goto out;
	}
	if (o.mem_size_mb > (SIZE_MAX >> 21)) {
		SIO_ERRLOG("env: mem_size_mb %zu too large", o.mem_size_mb);
		goto out;
	}
	rc = env_dma_init(o.hugepages, o.mem_size_mb << 20);
	if (rc != 0) {
		SIO_ERRLOG("env: could not reserve %zu MiB of hugepages", o.mem_size_mb);
		goto out;
	}
	if (o.hugepages && !env_dma_uses_hugepages())
		SIO_NOTICELOG("env: hugepages asked for but none free; using ordinary memory");
	sio_log_flag_register(ENV_LOG_FLAG);
	g_env_cores = cores;
	g_env_main_core = main_core;
	g_env_initialized = true;
	rc = 0;
out:
	pthread_mutex_unlock(&g_env_lock);
	return rc;
}

int sio_env_fini(void)
{
	int rc = 0;

	pthread_mutex_lock(&g_env_lock);
	if (!g_env_initialized) {
		rc = -EINVAL;
	} else {
		env_dma_fini();
		g_env_initialized = false;
		sio_cpuset_zero(&g_env_cores);
		g_env_main_core = -1;
	}
	pthread_mutex_unlock(&g_env_lock);
	return rc;
}

bool sio_env_is_initialized(void)
{
	bool r;

	pthread_mutex_lock(&g_env_lock);
	r = g_env_initialized;
	pthread_mutex_unlock(&g_env_lock);
	return r;
}

bool sio_env_uses_hugepages(void)
{
	return env_dma_uses_hugepages();
}

int sio_env_get_core_mask(struct sio_cpuset *set)
{
	int rc = 0;

	if (set == NULL)
		return -EINVAL;
	pthread_mutex_lock(&g_env_lock);
	if (!g_env_initialized)
		rc = -EINVAL;
	else
		*set = g_env_cores;
	pthread_mutex_unlock(&g_env_lock);
	return rc;
}

int sio_env_get_main_core(void)
{
	int c;

	pthread_mutex_lock(&g_env_lock);
	c = g_env_initialized ? g_env_main_core : -EINVAL;
	pthread_mutex_unlock(&g_env_lock);
	return c;
}
