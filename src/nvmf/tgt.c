/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Targets, their poll groups and transports.
 *
 * A target created inside a running app gets one poll group per reactor
 * core: a sio_thread named "nvmf_pg_<i>" with that core as its mask, which
 * the app's scheduler places on the core's reactor. Outside an app (a test or
 * a program polling threads itself) the one poll group runs on the creating
 * thread. Work that must happen on every poll group (starting a subsystem,
 * pausing it, tearing down) walks them one after the other by message
 * (nvmf_pg_each()), so the app thread never touches a poll group's state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "nvmf/nvmf_ctrlr.h"
#include "nvmf/nvmf_internal.h"
#include "spdk_io/app.h"

static TAILQ_HEAD(, sio_nvmf_tgt) g_tgts = TAILQ_HEAD_INITIALIZER(g_tgts);

static const struct nvmf_transport_ops *const g_transport_ops[] = {
	&nvmf_tcp_ops,
};

const struct nvmf_transport_ops *nvmf_transport_ops_find(const char *trtype)
{
	if (trtype == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(g_transport_ops) / sizeof(g_transport_ops[0]); i++)
		if (strcasecmp(g_transport_ops[i]->name, trtype) == 0)
			return g_transport_ops[i];
	return NULL;
}

struct sio_nvmf_tgt *nvmf_tgt_first(void)
{
	return TAILQ_FIRST(&g_tgts);
}

struct sio_nvmf_tgt *nvmf_tgt_next(struct sio_nvmf_tgt *prev)
{
	return prev ? TAILQ_NEXT(prev, link) : NULL;
}

void sio_nvmf_tgt_opts_init(struct sio_nvmf_tgt_opts *opts, size_t opts_size)
{
	struct sio_nvmf_tgt_opts d = {
		.opts_size = opts_size,
		.name = SIO_NVMF_DEFAULT_TGT_NAME,
		.max_subsystems = 1024,
		.num_poll_groups = 0,
		.interrupt_mode = false,
	};

	if (opts == NULL || opts_size < sizeof(opts->opts_size))
		return;
	memcpy(opts, &d, opts_size < sizeof(d) ? opts_size : sizeof(d));
}
_Static_assert(sizeof(struct sio_nvmf_tgt_opts) == 32, "update opts_init/copy when adding a field");

/* ------------------------------------------------------------------------ */
/* Walking the poll groups                                                  */
/* ------------------------------------------------------------------------ */

struct nvmf_pg_each {
	struct sio_nvmf_tgt *tgt;
	int (*fn)(struct nvmf_poll_group *pg, void *ctx, struct nvmf_pg_each *it);
	void *ctx;
	sio_done_cb done;
	void *done_arg;
	struct sio_thread *origin;
	uint32_t i;
	int rc;
};

static void pg_each_visit(void *arg);

static void pg_each_step(void *arg)
{
	struct nvmf_pg_each *it = arg;

	if (it->i >= it->tgt->num_poll_groups) {
		it->done(it->done_arg, it->rc);
		free(it);
		return;
	}
	if (sio_thread_send_msg(it->tgt->pgs[it->i]->thread, pg_each_visit, it) != 0) {
		SIO_ERRLOG("nvmf: poll group %u unreachable", it->i);
		if (it->rc == 0)
			it->rc = -ESHUTDOWN;
		it->i++;
		sio_thread_send_msg(it->origin, pg_each_step, it);
	}
}

static void pg_each_visit(void *arg)
{
	struct nvmf_pg_each *it = arg;
	int rc = it->fn(it->tgt->pgs[it->i], it->ctx, it);

	if (rc != NVMF_PG_ASYNC)
		nvmf_pg_each_continue(it, rc);
}

void *nvmf_pg_each_ctx(struct nvmf_pg_each *it)
{
	return it->ctx;
}

void nvmf_pg_each_continue(struct nvmf_pg_each *it, int rc)
{
	if (rc != 0 && it->rc == 0)
		it->rc = rc;
	it->i++;
	if (sio_thread_send_msg(it->origin, pg_each_step, it) != 0)
		SIO_ERRLOG("nvmf: the app thread is gone; a poll group walk is lost");
}

int nvmf_pg_each(struct sio_nvmf_tgt *tgt,
		 int (*fn)(struct nvmf_poll_group *pg, void *ctx, struct nvmf_pg_each *it),
		 void *ctx, sio_done_cb done, void *done_arg)
{
	struct nvmf_pg_each *it = calloc(1, sizeof(*it));

	if (it == NULL)
		return -ENOMEM;
	it->tgt = tgt;
	it->fn = fn;
	it->ctx = ctx;
	it->done = done;
	it->done_arg = done_arg;
	it->origin = sio_thread_get_current();
	/* Start by message so @done never runs inside this call. */
	return sio_thread_send_msg(it->origin, pg_each_step, it) == 0 ? 0 : (free(it), -ENOMEM);
}

static void pg_kick_msg(void *arg)
{
	nvmf_pg_check_keep_alive(arg);
}

void nvmf_tgt_kick_pgs(struct sio_nvmf_tgt *tgt)
{
	for (uint32_t i = 0; i < tgt->num_poll_groups; i++)
		sio_thread_send_msg(tgt->pgs[i]->thread, pg_kick_msg, tgt->pgs[i]);
}

struct nvmf_poll_group *nvmf_tgt_next_pg(struct sio_nvmf_tgt *tgt)
{
	uint32_t i = __atomic_fetch_add(&tgt->next_pg, 1, __ATOMIC_RELAXED);

	return tgt->pgs[i % tgt->num_poll_groups];
}

/* ------------------------------------------------------------------------ */
/* Poll groups                                                              */
/* ------------------------------------------------------------------------ */

/* Every 100 ms: keep-alive expiry of the controllers whose admin queue is here. */
static int pg_timer(void *arg)
{
	struct nvmf_poll_group *pg = arg;

	return nvmf_pg_check_keep_alive(pg) ? SIO_POLLER_BUSY : SIO_POLLER_IDLE;
}

static void pg_start_msg(void *arg)
{
	struct nvmf_poll_group *pg = arg;

	pg->timer = sio_poller_register(pg_timer, pg, 100000);
	if (pg->timer == NULL)
		SIO_ERRLOG("nvmf: poll group %s has no keep-alive timer", pg->name);
}

static void pg_exit_msg(void *arg)
{
	(void)arg;
	sio_thread_exit(sio_thread_get_current());
}

/* Release what a poll group holds of a subsystem (its thread). */
void nvmf_pg_sgroup_release(struct nvmf_pg_subsystem *sg)
{
	for (uint32_t n = 0; n < sg->num_ns; n++)
		if (sg->ns[n].ch != NULL)
			sio_io_channel_put(sg->ns[n].ch);
	free(sg->ns);
	sg->ns = NULL;
	sg->num_ns = 0;
	sg->state = NVMF_PG_SS_INACTIVE;
}

struct pg_stop_wait {
	struct nvmf_poll_group *pg;
	struct nvmf_pg_each *it;
	struct sio_poller *poller;
};

static void pg_finish(struct nvmf_poll_group *pg)
{
	for (uint32_t t = 0; t < NVMF_MAX_TRANSPORTS; t++) {
		if (pg->tpg[t] != NULL) {
			pg->tgt->transports[t]->ops->pg_destroy(pg->tpg[t]);
			pg->tpg[t] = NULL;
		}
	}
	for (uint32_t i = 0; i < pg->num_sgroups; i++)
		nvmf_pg_sgroup_release(&pg->sgroups[i]);
	sio_poller_unregister(&pg->timer);
	if (pg->own_thread)
		sio_thread_exit(pg->thread);
}

/* Poll until the group's last qpair is gone (they finish their in-flight I/O first). */
static int pg_stop_poll(void *arg)
{
	struct pg_stop_wait *w = arg;

	if (!TAILQ_EMPTY(&w->pg->qpairs))
		return SIO_POLLER_IDLE;
	sio_poller_unregister(&w->poller);
	pg_finish(w->pg);
	nvmf_pg_each_continue(w->it, 0);
	free(w);
	return SIO_POLLER_BUSY;
}

static int pg_stop(struct nvmf_poll_group *pg, void *ctx, struct nvmf_pg_each *it)
{
	struct pg_stop_wait *w;

	for (uint32_t t = 0; t < NVMF_MAX_TRANSPORTS; t++)
		if (pg->tpg[t] != NULL && pg->tgt->transports[t]->ops->pg_disconnect_all)
			pg->tgt->transports[t]->ops->pg_disconnect_all(pg->tpg[t]);
	if (TAILQ_EMPTY(&pg->qpairs)) {
		pg_finish(pg);
		return 0;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->pg = pg;
	w->it = it;
	w->poller = sio_poller_register(pg_stop_poll, w, 1000);
	if (w->poller == NULL) {
		free(w);
		return -ENOMEM;
	}
	return NVMF_PG_ASYNC;
}

int nvmf_pg_get_tpg(struct nvmf_poll_group *pg, struct sio_nvmf_transport *t, void **tpg)
{
	for (uint32_t i = 0; i < NVMF_MAX_TRANSPORTS; i++) {
		if (pg->tgt->transports[i] != t)
			continue;
		if (pg->tpg[i] == NULL) {
			int rc = t->ops->pg_create(t, pg, &pg->tpg[i]);

			if (rc != 0)
				return rc;
		}
		*tpg = pg->tpg[i];
		return 0;
	}
	return -ENOENT;
}

/* ------------------------------------------------------------------------ */
/* Targets                                                                  */
/* ------------------------------------------------------------------------ */

struct sio_nvmf_tgt *sio_nvmf_get_tgt(const char *name)
{
	struct sio_nvmf_tgt *t;

	if (name == NULL) {
		t = TAILQ_FIRST(&g_tgts);
		if (t != NULL && TAILQ_NEXT(t, link) == NULL)
			return t;
		name = SIO_NVMF_DEFAULT_TGT_NAME;
	}
	TAILQ_FOREACH(t, &g_tgts, link)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

const char *sio_nvmf_tgt_get_name(const struct sio_nvmf_tgt *tgt)
{
	return tgt ? tgt->name : NULL;
}

uint32_t sio_nvmf_tgt_get_poll_group_count(const struct sio_nvmf_tgt *tgt)
{
	return tgt ? tgt->num_poll_groups : 0;
}

static void tgt_free(struct sio_nvmf_tgt *tgt)
{
	for (uint32_t i = 0; i < tgt->num_poll_groups; i++) {
		if (tgt->pgs[i] != NULL) {
			free(tgt->pgs[i]->sgroups);
			free(tgt->pgs[i]);
		}
	}
	free(tgt->pgs);
	free(tgt->subsystems);
	pthread_mutex_destroy(&tgt->mutex);
	free(tgt);
}


int sio_nvmf_tgt_create(const struct sio_nvmf_tgt_opts *opts, struct sio_nvmf_tgt **out)
{
	struct sio_nvmf_tgt_opts o;
	struct sio_nvmf_subsystem_opts sso;
	struct sio_nvmf_tgt *tgt;
	struct sio_thread *cur = sio_thread_get_current();
	bool app = sio_app_is_running() && sio_core_count() > 0;
	uint32_t n;
	int rc;

	if (out == NULL)
		return -EINVAL;
	if (cur == NULL)
		return -EPERM;
	sio_nvmf_tgt_opts_init(&o, sizeof(o));
	if (opts != NULL) {
		if (opts->opts_size < sizeof(opts->opts_size) || opts->opts_size > sizeof(o))
			return -EINVAL;
		memcpy(&o, opts, opts->opts_size);
		o.opts_size = sizeof(o);
	}
	if (o.name == NULL || o.name[0] == '\0' || strlen(o.name) >= sizeof(tgt->name) ||
	    o.max_subsystems == 0 || o.max_subsystems > 65536)
		return -EINVAL;
	if (sio_nvmf_get_tgt(o.name) != NULL &&
	    strcmp(sio_nvmf_get_tgt(o.name)->name, o.name) == 0)
		return -EEXIST;

	tgt = calloc(1, sizeof(*tgt));
	if (tgt == NULL)
		return -ENOMEM;
	pthread_mutex_init(&tgt->mutex, NULL);
	snprintf(tgt->name, sizeof(tgt->name), "%s", o.name);
	tgt->opts = o;
	tgt->opts.name = tgt->name;
	tgt->app_thread = cur;
	tgt->max_subsystems = o.max_subsystems;
	tgt->subsystems = calloc(o.max_subsystems, sizeof(*tgt->subsystems));
	n = o.num_poll_groups ? o.num_poll_groups : (app ? sio_core_count() : 1);
	if (!app)
		n = 1;
	tgt->pgs = calloc(n, sizeof(*tgt->pgs));
	if (tgt->subsystems == NULL || tgt->pgs == NULL) {
		tgt_free(tgt);
		return -ENOMEM;
	}
	tgt->num_poll_groups = n;
	for (uint32_t i = 0; i < n; i++) {
		struct nvmf_poll_group *pg = calloc(1, sizeof(*pg));

		if (pg == NULL)
			goto nomem;
		tgt->pgs[i] = pg;
		pg->tgt = tgt;
		pg->index = i;
		pg->num_sgroups = o.max_subsystems;
		pg->sgroups = calloc(o.max_subsystems, sizeof(*pg->sgroups));
		if (pg->sgroups == NULL)
			goto nomem;
		for (uint32_t s = 0; s < o.max_subsystems; s++)
			TAILQ_INIT(&pg->sgroups[s].held);
		snprintf(pg->name, sizeof(pg->name), "nvmf_pg_%u", i);
		if (app) {
			struct sio_cpuset mask;
			int core = sio_core_get_first();

			for (uint32_t k = 0; k < i % sio_core_count(); k++)
				core = sio_core_get_next(core);
			sio_cpuset_zero(&mask);
			sio_cpuset_set(&mask, (unsigned int)core);
			pg->thread = sio_thread_create(pg->name, &mask);
			if (pg->thread == NULL)
				goto nomem;
			pg->own_thread = true;
		} else {
			pg->thread = cur;
		}
	}

	/*
	 * Start each group by message: anything sent to a group later (a
	 * subsystem start, a connection) queues behind it, so nothing waits here.
	 */
	for (uint32_t i = 0; i < n; i++) {
		TAILQ_INIT(&tgt->pgs[i]->qpairs);
		rc = sio_thread_send_msg(tgt->pgs[i]->thread, pg_start_msg, tgt->pgs[i]);
		if (rc != 0)
			SIO_ERRLOG("nvmf: cannot start poll group %u: %d", i, rc);
	}

	TAILQ_INSERT_TAIL(&g_tgts, tgt, link);
	sio_nvmf_subsystem_opts_init(&sso, sizeof(sso));
	sso.allow_any_host = true;
	/* The discovery subsystem has no namespaces: it is active without a poll group walk. */
	rc = nvmf_subsystem_create(tgt, SIO_NVMF_DISCOVERY_NQN, NVMF_SUBTYPE_DISCOVERY, &sso,
				   &tgt->discovery);
	if (rc != 0) {
		TAILQ_REMOVE(&g_tgts, tgt, link);
		/* Poll groups are running: take the slow path down. */
		sio_nvmf_tgt_destroy(tgt, NULL, NULL);
		return rc;
	}
	*out = tgt;
	return 0;

nomem:
	for (uint32_t i = 0; i < n; i++) {
		struct nvmf_poll_group *pg = tgt->pgs[i];

		/* Not started: nothing is registered on it, and pg_exit_msg reads nothing. */
		if (pg != NULL && pg->own_thread)
			sio_thread_send_msg(pg->thread, pg_exit_msg, NULL);
	}
	tgt_free(tgt);
	return -ENOMEM;
}

struct tgt_destroy_ctx {
	struct sio_nvmf_tgt *tgt;
	sio_done_cb cb;
	void *cb_arg;
};

static void tgt_destroy_pgs_done(void *arg, int rc)
{
	struct tgt_destroy_ctx *ctx = arg;
	struct sio_nvmf_tgt *tgt = ctx->tgt;

	for (uint32_t t = 0; t < NVMF_MAX_TRANSPORTS; t++) {
		struct sio_nvmf_transport *tr = tgt->transports[t];
		struct nvmf_transport_listener *l;

		if (tr == NULL)
			continue;
		while ((l = TAILQ_FIRST(&tr->listeners)) != NULL) {
			TAILQ_REMOVE(&tr->listeners, l, link);
			tr->ops->stop_listen(tr, l);
			free(l);
		}
		tr->ops->destroy(tr);
		free(tr);
	}
	if (ctx->cb)
		ctx->cb(ctx->cb_arg, rc);
	tgt_free(tgt);
	free(ctx);
}

static void tgt_destroy_next_subsystem(void *arg, int rc);

static void tgt_destroy_next_subsystem(void *arg, int rc)
{
	struct tgt_destroy_ctx *ctx = arg;
	struct sio_nvmf_tgt *tgt = ctx->tgt;

	for (uint32_t i = 0; i < tgt->max_subsystems; i++) {
		struct sio_nvmf_subsystem *ss = tgt->subsystems[i];

		if (ss != NULL && !ss->destroying) {
			if (nvmf_subsystem_destroy(ss, tgt_destroy_next_subsystem, ctx) == 0)
				return;
		}
	}
	rc = nvmf_pg_each(tgt, pg_stop, NULL, tgt_destroy_pgs_done, ctx);
	if (rc != 0)
		SIO_ERRLOG("nvmf: cannot stop the poll groups of %s: %d", tgt->name, rc);
}

int sio_nvmf_tgt_destroy(struct sio_nvmf_tgt *tgt, sio_done_cb cb, void *cb_arg)
{
	struct tgt_destroy_ctx *ctx;
	struct sio_nvmf_tgt *t;

	if (tgt == NULL)
		return -EINVAL;
	if (tgt->destroying)
		return -EALREADY;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return -ENOMEM;
	tgt->destroying = true;
	TAILQ_FOREACH(t, &g_tgts, link)
		if (t == tgt)
			TAILQ_REMOVE(&g_tgts, tgt, link);
	ctx->tgt = tgt;
	ctx->cb = cb;
	ctx->cb_arg = cb_arg;
	tgt_destroy_next_subsystem(ctx, 0);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Transports                                                               */
/* ------------------------------------------------------------------------ */

int sio_nvmf_transport_opts_init(const char *trtype, struct sio_nvmf_transport_opts *opts,
				 size_t opts_size)
{
	const struct nvmf_transport_ops *ops = nvmf_transport_ops_find(trtype);
	struct sio_nvmf_transport_opts d;

	if (opts == NULL || opts_size < sizeof(opts->opts_size))
		return -EINVAL;
	if (ops == NULL)
		return -ENOTSUP;
	memset(&d, 0, sizeof(d));
	ops->opts_init(&d);
	d.opts_size = opts_size;
	memcpy(opts, &d, opts_size < sizeof(d) ? opts_size : sizeof(d));
	return 0;
}

static int transport_opts_check(const struct sio_nvmf_transport_opts *o)
{
	if (o->max_queue_depth < 2 || o->max_queue_depth > 4096 || o->max_qpairs_per_ctrlr < 2 ||
	    o->max_aq_depth < 2 || o->max_aq_depth > 4096)
		return -EINVAL;
	if (o->max_io_size < 4096 || (o->max_io_size & (o->max_io_size - 1)) != 0)
		return -EINVAL;
	if (o->in_capsule_data_size > o->max_io_size || o->in_capsule_data_size % 16 != 0)
		return -EINVAL;
	if (o->sock_priority > 6)
		return -EINVAL;
	return 0;
}

int sio_nvmf_tgt_add_transport(struct sio_nvmf_tgt *tgt, const char *trtype,
			       const struct sio_nvmf_transport_opts *opts,
			       struct sio_nvmf_transport **out)
{
	const struct nvmf_transport_ops *ops = nvmf_transport_ops_find(trtype);
	struct sio_nvmf_transport *t;
	uint32_t slot = NVMF_MAX_TRANSPORTS;
	int rc;

	if (tgt == NULL || trtype == NULL)
		return -EINVAL;
	if (ops == NULL)
		return -ENOTSUP;
	for (uint32_t i = 0; i < NVMF_MAX_TRANSPORTS; i++) {
		if (tgt->transports[i] != NULL && tgt->transports[i]->ops == ops)
			return -EEXIST;
		if (tgt->transports[i] == NULL && slot == NVMF_MAX_TRANSPORTS)
			slot = i;
	}
	if (slot == NVMF_MAX_TRANSPORTS)
		return -ENOSPC;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->ops = ops;
	t->tgt = tgt;
	TAILQ_INIT(&t->listeners);
	memset(&t->opts, 0, sizeof(t->opts));
	ops->opts_init(&t->opts);
	if (opts != NULL) {
		if (opts->opts_size < sizeof(opts->opts_size) || opts->opts_size > sizeof(t->opts)) {
			free(t);
			return -EINVAL;
		}
		memcpy(&t->opts, opts, opts->opts_size);
	}
	t->opts.opts_size = sizeof(t->opts);
	rc = transport_opts_check(&t->opts);
	if (rc == 0)
		rc = ops->create(t);
	if (rc != 0) {
		free(t);
		return rc;
	}
	/* Poll groups create their part on first use (a connection handed to them). */
	tgt->transports[slot] = t;
	if (out != NULL)
		*out = t;
	return 0;
}

struct sio_nvmf_transport *sio_nvmf_tgt_get_transport(struct sio_nvmf_tgt *tgt,
						      const char *trtype)
{
	const struct nvmf_transport_ops *ops = nvmf_transport_ops_find(trtype);

	if (tgt == NULL || ops == NULL)
		return NULL;
	for (uint32_t i = 0; i < NVMF_MAX_TRANSPORTS; i++)
		if (tgt->transports[i] != NULL && tgt->transports[i]->ops == ops)
			return tgt->transports[i];
	return NULL;
}

void sio_nvmf_transport_get_opts(const struct sio_nvmf_transport *t,
				 struct sio_nvmf_transport_opts *opts, size_t opts_size)
{
	if (t == NULL || opts == NULL || opts_size < sizeof(opts->opts_size))
		return;
	memcpy(opts, &t->opts, opts_size < sizeof(t->opts) ? opts_size : sizeof(t->opts));
	opts->opts_size = opts_size;
}

const char *sio_nvmf_transport_get_trtype(const struct sio_nvmf_transport *t)
{
	return t ? t->ops->name : NULL;
}

/* ------------------------------------------------------------------------ */
/* Transport IDs                                                            */
/* ------------------------------------------------------------------------ */

int nvmf_trid_from_addr(struct nvmf_trid *trid, const struct sio_nvmf_listen_addr *addr)
{
	const struct nvmf_transport_ops *ops;
	const char *svc;
	char *end;
	unsigned long port;

	memset(trid, 0, sizeof(*trid));
	if (addr == NULL || addr->trtype == NULL || addr->traddr == NULL)
		return -EINVAL;
	ops = nvmf_transport_ops_find(addr->trtype);
	snprintf(trid->trtype, sizeof(trid->trtype), "%s", ops ? ops->name : addr->trtype);
	if (strlen(addr->traddr) == 0 || strlen(addr->traddr) >= sizeof(trid->traddr))
		return -EINVAL;
	snprintf(trid->traddr, sizeof(trid->traddr), "%s", addr->traddr);
	if (addr->adrfam == NULL || addr->adrfam[0] == '\0')
		snprintf(trid->adrfam, sizeof(trid->adrfam), "%s",
			 strchr(addr->traddr, ':') ? "IPv6" : "IPv4");
	else if (strcasecmp(addr->adrfam, "ipv4") == 0)
		snprintf(trid->adrfam, sizeof(trid->adrfam), "IPv4");
	else if (strcasecmp(addr->adrfam, "ipv6") == 0)
		snprintf(trid->adrfam, sizeof(trid->adrfam), "IPv6");
	else
		return -EINVAL;
	svc = addr->trsvcid && addr->trsvcid[0] ? addr->trsvcid : "4420";
	errno = 0;
	port = strtoul(svc, &end, 10);
	if (errno != 0 || *end != '\0' || port > 65535 || strlen(svc) >= sizeof(trid->trsvcid))
		return -EINVAL;
	snprintf(trid->trsvcid, sizeof(trid->trsvcid), "%s", svc);
	trid->port = (int)port;
	return 0;
}

/* inet_pton of either family into @buf (16 bytes); 0 if @s is no numeric address. */
static int trid_addr_parse(const char *s, unsigned char *buf)
{
	memset(buf, 0, 16);
	if (inet_pton(AF_INET, s, buf) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return AF_INET6;
	return 0;
}

bool nvmf_trid_has_local(const struct nvmf_trid *t, const char *laddr, uint16_t lport)
{
	static const unsigned char zero[16];
	unsigned char a[16], b[16];
	int fa, fb;

	if (t->port != (int)lport)
		return false;
	fa = trid_addr_parse(t->traddr, a);
	fb = trid_addr_parse(laddr, b);
	if (fa == 0 || fb == 0) /* not numeric: only the same text matches */
		return strcasecmp(t->traddr, laddr) == 0;
	/* A wildcard listener (0.0.0.0, ::) takes connections to any address of its family. */
	if (fa == fb && memcmp(a, zero, sizeof(a)) == 0)
		return true;
	return fa == fb && memcmp(a, b, sizeof(a)) == 0;
}

bool nvmf_trid_equal(const struct nvmf_trid *a, const struct nvmf_trid *b)
{
	return strcasecmp(a->trtype, b->trtype) == 0 && strcmp(a->traddr, b->traddr) == 0 &&
	       (strcmp(a->trsvcid, b->trsvcid) == 0 ||
		(a->port != 0 && a->port == b->port));
}
