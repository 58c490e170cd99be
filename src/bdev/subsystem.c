/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "bdev" subsystem: initialises every module of the generated table,
 * writes the bdev section of save_config, and on shutdown unregisters every
 * bdev (newest first, so virtual bdevs go before their bases) before the
 * modules finish.
 */
#include <errno.h>
#include <stdlib.h>

#include "bdev/bdev_internal.h"
#include "spdk_io/metrics.h"
#include "spdk_io/app.h"
#include "spdk_io/rpc.h"

static size_t g_modules_inited;

int bdev_modules_init(void)
{
	for (size_t i = 0; sio_bdev_module_table[i] != NULL; i++) {
		struct sio_bdev_module *m = sio_bdev_module_table[i];
		int rc = m->module_init ? m->module_init() : 0;

		if (rc != 0) {
			SIO_ERRLOG("bdev module %s failed to initialise: %d", m->name, rc);
			bdev_modules_fini();
			return rc;
		}
		g_modules_inited = i + 1;
	}
	return 0;
}

void bdev_modules_fini(void)
{
	while (g_modules_inited > 0) {
		struct sio_bdev_module *m = sio_bdev_module_table[--g_modules_inited];

		if (m->module_fini)
			m->module_fini();
	}
}

/* bdev_metrics.c: scraped by the metrics endpoint of any app with bdevs. */
extern const struct sio_metrics_collector sio_bdev_metrics_collector;

static void bdev_subsystem_init(sio_done_cb done, void *cb_arg)
{
	sio_log_flag_register(BDEV_LOG);
	sio_metrics_register(&sio_bdev_metrics_collector); /* -EEXIST on a later run: fine */
	done(cb_arg, bdev_modules_init());
}

struct bdev_fini_ctx {
	sio_done_cb done;
	void *cb_arg;
};

static void bdev_fini_next(void *arg, int rc);
static void bdev_fini_next_msg(void *arg);

/* Unregister the newest bdev that is not already going, then come back. */
static void bdev_fini_next(void *arg, int rc)
{
	struct bdev_fini_ctx *ctx = arg;
	struct sio_bdev *bdev, *last = NULL;

	(void)rc;
	for (bdev = sio_bdev_first(); bdev != NULL; bdev = sio_bdev_next(bdev)) {
		bool idle;

		pthread_mutex_lock(&g_bdev_mutex);
		idle = bdev->internal->state == BDEV_STATE_REGISTERED;
		pthread_mutex_unlock(&g_bdev_mutex);
		if (idle)
			last = bdev;
	}
	if (last != NULL && sio_bdev_unregister(last, bdev_fini_next, ctx) == 0)
		return;
	if (sio_bdev_first() != NULL) {
		/* Some are still being removed by someone else: look again shortly. */
		if (sio_thread_send_msg(sio_thread_get_current(),
					bdev_fini_next_msg, ctx) == 0)
			return;
	}
	bdev_modules_fini();
	ctx->done(ctx->cb_arg, 0);
	free(ctx);
}

static void bdev_fini_next_msg(void *arg)
{
	bdev_fini_next(arg, 0);
}

static void bdev_subsystem_fini(sio_done_cb done, void *cb_arg)
{
	struct bdev_fini_ctx *ctx = malloc(sizeof(*ctx));

	if (ctx == NULL) {
		bdev_modules_fini();
		done(cb_arg, 0);
		return;
	}
	ctx->done = done;
	ctx->cb_arg = cb_arg;
	bdev_fini_next(ctx, 0);
}

static void bdev_subsystem_write_config(json_t *config)
{
	struct sio_bdev_opts opts;
	struct sio_bdev *bdev;

	sio_bdev_get_opts(&opts, sizeof(opts));
	sio_rpc_config_append(config, "bdev_set_options",
			      json_pack("{s:i}", "bdev_io_cache_size",
					(int)opts.bdev_io_cache_size));
	for (size_t i = 0; sio_bdev_module_table[i] != NULL; i++)
		if (sio_bdev_module_table[i]->config_json)
			sio_bdev_module_table[i]->config_json(config);
	/* Registration order: bases come before the virtual bdevs built on them. */
	for (bdev = sio_bdev_first(); bdev != NULL; bdev = sio_bdev_next(bdev))
		if (bdev->fn_table->write_config_json)
			bdev->fn_table->write_config_json(bdev, config);
}

const struct sio_subsystem sio_subsystem_bdev = {
	.name = "bdev",
	.depends_on = NULL,
	.init = bdev_subsystem_init,
	.fini = bdev_subsystem_fini,
	.write_config = bdev_subsystem_write_config,
};
