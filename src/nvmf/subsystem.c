/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Subsystems: NQN, serial/model, hosts, namespaces, listeners, and the state
 * changes that reach every poll group (start, pause, resume, stop).
 *
 * A state change walks the poll groups one by one (nvmf_pg_each()): start
 * and resume hand each group the namespaces as they are now (a bdev channel
 * each, got on the group's thread); pause makes each group hold new commands
 * and waits until its in-flight ones are done; stop disconnects the
 * subsystem's controllers first, then drops the groups' channels. The
 * namespace array itself changes only on the app thread, while no group is
 * reading it (inactive, or paused), which is why add/remove need one of
 * those states.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmf/nvmf_ctrlr.h"
#include "nvmf/nvmf_internal.h"
#include "spdk_io/keyring.h"
#include "nvme/tcp/nvme_tcp_tls.h"
#include "spdk_io/keyring.h"
#include "spdk_io/nvme.h"

/* ------------------------------------------------------------------------ */
/* Names and identifiers                                                    */
/* ------------------------------------------------------------------------ */

bool nvmf_nqn_is_valid(const char *nqn)
{
	size_t len;
	const char *p;

	if (nqn == NULL)
		return false;
	len = strlen(nqn);
	if (len < 5 || len > SIO_NVMF_NQN_MAX_LEN)
		return false;
	if (strcmp(nqn, SIO_NVMF_DISCOVERY_NQN) == 0)
		return true;
	if (strncmp(nqn, SIO_NVMF_NQN_UUID_PREFIX, strlen(SIO_NVMF_NQN_UUID_PREFIX)) == 0) {
		p = nqn + strlen(SIO_NVMF_NQN_UUID_PREFIX);
		if (strlen(p) != 36)
			return false;
		for (int i = 0; i < 36; i++) {
			bool dash = i == 8 || i == 13 || i == 18 || i == 23;

			if (dash ? p[i] != '-' : !isxdigit((unsigned char)p[i]))
				return false;
		}
		return true;
	}
	/* "nqn.yyyy-mm.reverse-domain[:anything]" */
	if (strncmp(nqn, "nqn.", 4) != 0 || len < 12)
		return false;
	for (int i = 4; i < 11; i++) {
		if (i == 8 ? nqn[i] != '-' : !isdigit((unsigned char)nqn[i]))
			return false;
	}
	if (nqn[11] != '.' || !isalnum((unsigned char)nqn[12]))
		return false;
	for (p = nqn; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			return false;
	return true;
}

static bool printable_ascii(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

int nvmf_parse_hex_id(const char *s, uint8_t *out, size_t len)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		int v;

		if (*s == '-')
			continue;
		if (!isxdigit((unsigned char)*s) || n >= 2 * len)
			return -EINVAL;
		v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
		if (n % 2 == 0)
			out[n / 2] = (uint8_t)(v << 4);
		else
			out[n / 2] |= (uint8_t)v;
		n++;
	}
	return n == 2 * len ? 0 : -EINVAL;
}

/* ------------------------------------------------------------------------ */
/* Create, get, destroy                                                     */
/* ------------------------------------------------------------------------ */

void sio_nvmf_subsystem_opts_init(struct sio_nvmf_subsystem_opts *opts, size_t opts_size)
{
	struct sio_nvmf_subsystem_opts d = {
		.opts_size = opts_size,
		.serial_number = "00000000000000000000",
		.model_number = "spdk-io Controller",
		.max_namespaces = 0,
		.allow_any_host = false,
		.min_cntlid = 1,
		.max_cntlid = NVMF_MAX_CNTLID,
		.ana_reporting = false,
	};

	if (opts == NULL || opts_size < sizeof(opts->opts_size))
		return;
	memcpy(opts, &d, opts_size < sizeof(d) ? opts_size : sizeof(d));
}
_Static_assert(sizeof(struct sio_nvmf_subsystem_opts) == 40, "update opts_init when adding a field");

int nvmf_subsystem_create(struct sio_nvmf_tgt *tgt, const char *nqn, enum nvmf_subtype subtype,
			  const struct sio_nvmf_subsystem_opts *opts,
			  struct sio_nvmf_subsystem **out)
{
	struct sio_nvmf_subsystem_opts o;
	struct sio_nvmf_subsystem *ss;
	uint32_t id;

	if (tgt == NULL || !nvmf_nqn_is_valid(nqn))
		return -EINVAL;
	if (subtype == NVMF_SUBTYPE_NVME && strcmp(nqn, SIO_NVMF_DISCOVERY_NQN) == 0)
		return -EEXIST;
	sio_nvmf_subsystem_opts_init(&o, sizeof(o));
	if (opts != NULL) {
		if (opts->opts_size < sizeof(opts->opts_size) || opts->opts_size > sizeof(o))
			return -EINVAL;
		memcpy(&o, opts, opts->opts_size);
		o.opts_size = sizeof(o);
	}
	if (o.serial_number == NULL || !printable_ascii(o.serial_number, SIO_NVMF_SN_MAX_LEN) ||
	    o.model_number == NULL || !printable_ascii(o.model_number, SIO_NVMF_MN_MAX_LEN))
		return -EINVAL;
	if (o.min_cntlid == 0 || o.max_cntlid > NVMF_MAX_CNTLID || o.min_cntlid > o.max_cntlid)
		return -EINVAL;
	if (sio_nvmf_subsystem_get(tgt, nqn) != NULL)
		return -EEXIST;
	for (id = 0; id < tgt->max_subsystems; id++)
		if (tgt->subsystems[id] == NULL)
			break;
	if (id == tgt->max_subsystems)
		return -ENOSPC;
	ss = calloc(1, sizeof(*ss));
	if (ss == NULL)
		return -ENOMEM;
	ss->max_nsid = o.max_namespaces ? o.max_namespaces : NVMF_DEFAULT_MAX_NAMESPACES;
	if (subtype == NVMF_SUBTYPE_DISCOVERY)
		ss->max_nsid = 0;
	ss->ns = ss->max_nsid ? calloc(ss->max_nsid, sizeof(*ss->ns)) : NULL;
	if (ss->max_nsid && ss->ns == NULL) {
		free(ss);
		return -ENOMEM;
	}
	ss->tgt = tgt;
	ss->id = id;
	ss->subtype = subtype;
	snprintf(ss->nqn, sizeof(ss->nqn), "%s", nqn);
	snprintf(ss->sn, sizeof(ss->sn), "%s", o.serial_number);
	snprintf(ss->mn, sizeof(ss->mn), "%s", o.model_number);
	ss->opts = o;
	ss->opts.serial_number = ss->sn;
	ss->opts.model_number = ss->mn;
	TAILQ_INIT(&ss->listeners);
	TAILQ_INIT(&ss->hosts);
	TAILQ_INIT(&ss->ctrlrs);
	TAILQ_INIT(&ss->removed_ns);
	pthread_mutex_init(&ss->mutex, NULL);
	ss->allow_any_host = subtype == NVMF_SUBTYPE_DISCOVERY ? true : o.allow_any_host;
	ss->next_cntlid = o.min_cntlid;
	if (subtype == NVMF_SUBTYPE_DISCOVERY) {
		/* No namespaces, so no poll group state: active from the start. */
		ss->state = SIO_NVMF_SUBSYSTEM_ACTIVE;
		ss->accepting = true;
	}
	pthread_mutex_lock(&tgt->mutex);
	tgt->subsystems[id] = ss;
	pthread_mutex_unlock(&tgt->mutex);
	tgt->num_subsystems++;
	__atomic_fetch_add(&tgt->discovery_genctr, 1, __ATOMIC_RELAXED);
	if (out != NULL)
		*out = ss;
	return 0;
}

int sio_nvmf_subsystem_create(struct sio_nvmf_tgt *tgt, const char *nqn,
			      const struct sio_nvmf_subsystem_opts *opts,
			      struct sio_nvmf_subsystem **out)
{
	if (tgt == NULL || nqn == NULL)
		return -EINVAL;
	if (strcmp(nqn, SIO_NVMF_DISCOVERY_NQN) == 0)
		return -EEXIST;
	return nvmf_subsystem_create(tgt, nqn, NVMF_SUBTYPE_NVME, opts, out);
}

struct sio_nvmf_subsystem *sio_nvmf_subsystem_get(struct sio_nvmf_tgt *tgt, const char *nqn)
{
	if (tgt == NULL || nqn == NULL)
		return NULL;
	for (uint32_t i = 0; i < tgt->max_subsystems; i++)
		if (tgt->subsystems[i] != NULL && strcmp(tgt->subsystems[i]->nqn, nqn) == 0)
			return tgt->subsystems[i];
	return NULL;
}

static struct sio_nvmf_subsystem *ss_from(struct sio_nvmf_tgt *tgt, uint32_t id)
{
	for (; id < tgt->max_subsystems; id++)
		if (tgt->subsystems[id] != NULL)
			return tgt->subsystems[id];
	return NULL;
}

struct sio_nvmf_subsystem *sio_nvmf_subsystem_first(struct sio_nvmf_tgt *tgt)
{
	return tgt ? ss_from(tgt, 0) : NULL;
}

struct sio_nvmf_subsystem *sio_nvmf_subsystem_next(struct sio_nvmf_subsystem *prev)
{
	return prev ? ss_from(prev->tgt, prev->id + 1) : NULL;
}

const char *sio_nvmf_subsystem_get_nqn(const struct sio_nvmf_subsystem *ss)
{
	return ss ? ss->nqn : NULL;
}

const char *sio_nvmf_subsystem_get_sn(const struct sio_nvmf_subsystem *ss)
{
	return ss ? ss->sn : NULL;
}

const char *sio_nvmf_subsystem_get_mn(const struct sio_nvmf_subsystem *ss)
{
	return ss ? ss->mn : NULL;
}

bool sio_nvmf_subsystem_is_discovery(const struct sio_nvmf_subsystem *ss)
{
	return ss != NULL && ss->subtype == NVMF_SUBTYPE_DISCOVERY;
}

enum sio_nvmf_subsystem_state sio_nvmf_subsystem_get_state(const struct sio_nvmf_subsystem *ss)
{
	return ss ? ss->state : SIO_NVMF_SUBSYSTEM_INACTIVE;
}

/* ------------------------------------------------------------------------ */
/* Namespace change notices                                                 */
/* ------------------------------------------------------------------------ */

/* Remember @nsid as changed; published to controllers at the next ss_publish_changes(). */
static void ss_note_change(struct sio_nvmf_subsystem *ss, uint32_t nsid)
{
	for (uint32_t i = 0; i < ss->pending_changes; i++)
		if (ss->pending_nsids[i] == nsid)
			return;
	if (ss->pending_changes < NVMF_NS_CHANGE_RING)
		ss->pending_nsids[ss->pending_changes] = nsid;
	ss->pending_changes++;
}

/*
 * The poll groups now see the namespaces as they are: let controllers know
 * (each one's admin thread picks the notice up, see nvmf_ctrlr.h).
 */
static void ss_publish_changes(struct sio_nvmf_subsystem *ss)
{
	if (ss->pending_changes == 0)
		return;
	pthread_mutex_lock(&ss->mutex);
	for (uint32_t i = 0; i < ss->pending_changes; i++) {
		uint32_t nsid = i < NVMF_NS_CHANGE_RING ? ss->pending_nsids[i] : SIO_NVME_NSID_ALL;

		ss->ns_change_log[ss->ns_change_gen % NVMF_NS_CHANGE_RING] = nsid;
		ss->ns_change_gen++;
	}
	pthread_mutex_unlock(&ss->mutex);
	ss->pending_changes = 0;
	nvmf_tgt_kick_pgs(ss->tgt);
}

/* ------------------------------------------------------------------------ */
/* Poll-group side of state changes                                         */
/* ------------------------------------------------------------------------ */

/* Make @pg's view of @ss match ss->ns (runs on @pg's thread, app thread waiting). */
static int pg_ss_sync(struct nvmf_poll_group *pg, struct sio_nvmf_subsystem *ss)
{
	struct nvmf_pg_subsystem *sg = &pg->sgroups[ss->id];

	if (sg->ns == NULL && ss->max_nsid > 0) {
		sg->ns = calloc(ss->max_nsid, sizeof(*sg->ns));
		if (sg->ns == NULL)
			return -ENOMEM;
		sg->num_ns = ss->max_nsid;
	}
	for (uint32_t i = 0; i < sg->num_ns; i++) {
		struct sio_nvmf_ns *ns = ss->ns[i];
		struct nvmf_pg_ns *pns = &sg->ns[i];

		if (pns->ns == ns)
			continue;
		if (pns->ch != NULL)
			sio_io_channel_put(pns->ch);
		pns->ch = NULL;
		pns->ns = NULL;
		if (ns == NULL)
			continue;
		pns->ch = sio_bdev_desc_get_io_channel(ns->desc);
		if (pns->ch == NULL) {
			SIO_ERRLOG("nvmf: %s nsid %u: no bdev channel on %s", ss->nqn, ns->nsid,
				   pg->name);
			continue;
		}
		pns->ns = ns;
	}
	return 0;
}

static int pg_ss_start(struct nvmf_poll_group *pg, void *ctx, struct nvmf_pg_each *it)
{
	struct sio_nvmf_subsystem *ss = ctx;
	struct nvmf_pg_subsystem *sg = &pg->sgroups[ss->id];
	int rc = pg_ss_sync(pg, ss);

	sg->state = NVMF_PG_SS_ACTIVE;
	nvmf_pg_ss_run_held(pg, sg);
	return rc;
}

static int pg_ss_pause(struct nvmf_poll_group *pg, void *ctx, struct nvmf_pg_each *it)
{
	struct sio_nvmf_subsystem *ss = ctx;
	struct nvmf_pg_subsystem *sg = &pg->sgroups[ss->id];

	if (sg->io_outstanding == 0) {
		sg->state = NVMF_PG_SS_PAUSED;
		return 0;
	}
	/* The last completion continues the walk (nvmf_ctrlr's I/O path). */
	sg->state = NVMF_PG_SS_PAUSING;
	sg->pause_it = it;
	return NVMF_PG_ASYNC;
}

static int pg_ss_stop(struct nvmf_poll_group *pg, void *ctx, struct nvmf_pg_each *it)
{
	struct sio_nvmf_subsystem *ss = ctx;
	struct nvmf_pg_subsystem *sg = &pg->sgroups[ss->id];

	/* Controllers are gone, so nothing is held or in flight here. */
	nvmf_pg_ss_fail_held(pg, sg);
	nvmf_pg_sgroup_release(sg);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* App-thread side of state changes                                         */
/* ------------------------------------------------------------------------ */

struct ss_change {
	struct sio_nvmf_subsystem *ss;
	enum sio_nvmf_subsystem_state to;
	sio_done_cb cb;
	void *cb_arg;
	struct sio_poller *poller;
};

/* Close namespaces removed while poll groups still held them. */
static void ss_close_removed(struct sio_nvmf_subsystem *ss)
{
	struct sio_nvmf_ns *ns;

	while ((ns = TAILQ_FIRST(&ss->removed_ns)) != NULL) {
		TAILQ_REMOVE(&ss->removed_ns, ns, rlink);
		sio_bdev_close(ns->desc);
		free(ns);
	}
}

static void ss_change_done(void *arg, int rc)
{
	struct ss_change *c = arg;
	struct sio_nvmf_subsystem *ss = c->ss;

	if (rc == 0 || c->to == SIO_NVMF_SUBSYSTEM_INACTIVE) {
		ss->state = c->to;
	} else {
		/* A failed start/resume leaves the groups as far as they got: report it. */
		SIO_ERRLOG("nvmf: %s: state change failed: %d", ss->nqn, rc);
		ss->state = c->to == SIO_NVMF_SUBSYSTEM_ACTIVE ? SIO_NVMF_SUBSYSTEM_ACTIVE : c->to;
	}
	pthread_mutex_lock(&ss->mutex);
	ss->accepting = ss->state != SIO_NVMF_SUBSYSTEM_INACTIVE;
	pthread_mutex_unlock(&ss->mutex);
	if (ss->state == SIO_NVMF_SUBSYSTEM_ACTIVE)
		ss_publish_changes(ss);
	if (ss->state == SIO_NVMF_SUBSYSTEM_INACTIVE || ss->state == SIO_NVMF_SUBSYSTEM_ACTIVE)
		ss_close_removed(ss);
	if (c->cb)
		c->cb(c->cb_arg, rc);
	free(c);
}

static struct ss_change *ss_change_begin(struct sio_nvmf_subsystem *ss,
					 enum sio_nvmf_subsystem_state from1,
					 enum sio_nvmf_subsystem_state from2,
					 enum sio_nvmf_subsystem_state to, sio_done_cb cb,
					 void *cb_arg, int *rc)
{
	struct ss_change *c;

	*rc = 0;
	if (ss == NULL || ss->subtype == NVMF_SUBTYPE_DISCOVERY) {
		*rc = -EINVAL;
		return NULL;
	}
	if (ss->state != from1 && ss->state != from2) {
		*rc = -EBUSY;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	c->ss = ss;
	c->to = to;
	c->cb = cb;
	c->cb_arg = cb_arg;
	ss->state = SIO_NVMF_SUBSYSTEM_CHANGING;
	return c;
}

static int ss_walk(struct ss_change *c,
		   int (*fn)(struct nvmf_poll_group *pg, void *ctx, struct nvmf_pg_each *it),
		   enum sio_nvmf_subsystem_state back)
{
	int rc = nvmf_pg_each(c->ss->tgt, fn, c->ss, ss_change_done, c);

	if (rc != 0) {
		c->ss->state = back;
		free(c);
	}
	return rc;
}

/*
 * A change from @from to @to made by one walk of @fn over the poll groups
 * (start, pause, resume); back to @from if the walk cannot start.
 */
static int ss_change_walk(struct sio_nvmf_subsystem *ss, enum sio_nvmf_subsystem_state from,
			  enum sio_nvmf_subsystem_state to,
			  int (*fn)(struct nvmf_poll_group *pg, void *ctx, struct nvmf_pg_each *it),
			  sio_done_cb cb, void *cb_arg)
{
	int rc;
	struct ss_change *c = ss_change_begin(ss, from, from, to, cb, cb_arg, &rc);

	return c ? ss_walk(c, fn, from) : rc;
}

int sio_nvmf_subsystem_start(struct sio_nvmf_subsystem *ss, sio_done_cb cb, void *cb_arg)
{
	return ss_change_walk(ss, SIO_NVMF_SUBSYSTEM_INACTIVE, SIO_NVMF_SUBSYSTEM_ACTIVE,
			      pg_ss_start, cb, cb_arg);
}

int sio_nvmf_subsystem_pause(struct sio_nvmf_subsystem *ss, sio_done_cb cb, void *cb_arg)
{
	return ss_change_walk(ss, SIO_NVMF_SUBSYSTEM_ACTIVE, SIO_NVMF_SUBSYSTEM_PAUSED,
			      pg_ss_pause, cb, cb_arg);
}

int sio_nvmf_subsystem_resume(struct sio_nvmf_subsystem *ss, sio_done_cb cb, void *cb_arg)
{
	return ss_change_walk(ss, SIO_NVMF_SUBSYSTEM_PAUSED, SIO_NVMF_SUBSYSTEM_ACTIVE,
			      pg_ss_start, cb, cb_arg);
}

/* Stop, step 2: every controller gone? then drop the groups' views. */
static int ss_stop_poll(void *arg)
{
	struct ss_change *c = arg;
	struct sio_nvmf_subsystem *ss = c->ss;
	bool empty;

	pthread_mutex_lock(&ss->mutex);
	empty = TAILQ_EMPTY(&ss->ctrlrs);
	pthread_mutex_unlock(&ss->mutex);
	if (!empty)
		return SIO_POLLER_IDLE;
	sio_poller_unregister(&c->poller);
	if (ss_walk(c, pg_ss_stop, SIO_NVMF_SUBSYSTEM_INACTIVE) != 0)
		SIO_ERRLOG("nvmf: %s: cannot reach the poll groups to stop", ss->nqn);
	return SIO_POLLER_BUSY;
}

int nvmf_subsystem_disconnect_ctrlrs(struct sio_nvmf_subsystem *ss, const char *hostnqn)
{
	struct nvmf_ctrlr *ctrlr;
	int n = 0;

	pthread_mutex_lock(&ss->mutex);
	TAILQ_FOREACH(ctrlr, &ss->ctrlrs, link) {
		if (hostnqn == NULL || strcmp(ctrlr->hostnqn, hostnqn) == 0) {
			nvmf_ctrlr_request_disconnect(ctrlr);
			n++;
		}
	}
	pthread_mutex_unlock(&ss->mutex);
	if (n > 0)
		nvmf_tgt_kick_pgs(ss->tgt);
	return n;
}

/*
 * No new connection to @ss from now on, and every controller asked to
 * disconnect (stop, and the destroy of a discovery subsystem, then wait for
 * them to go).
 */
static void ss_close_to_hosts(struct sio_nvmf_subsystem *ss)
{
	pthread_mutex_lock(&ss->mutex);
	ss->accepting = false;
	pthread_mutex_unlock(&ss->mutex);
	nvmf_subsystem_disconnect_ctrlrs(ss, NULL);
}

int sio_nvmf_subsystem_stop(struct sio_nvmf_subsystem *ss, sio_done_cb cb, void *cb_arg)
{
	int rc;
	struct ss_change *c = ss_change_begin(ss, SIO_NVMF_SUBSYSTEM_ACTIVE,
					      SIO_NVMF_SUBSYSTEM_PAUSED,
					      SIO_NVMF_SUBSYSTEM_INACTIVE, cb, cb_arg, &rc);

	if (c == NULL)
		return rc;
	ss_close_to_hosts(ss);
	/* Held commands of a paused subsystem fail as their qpairs go. */
	c->poller = sio_poller_register(ss_stop_poll, c, 1000);
	if (c->poller == NULL) {
		ss->state = SIO_NVMF_SUBSYSTEM_ACTIVE;
		free(c);
		return -ENOMEM;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Destroy                                                                  */
/* ------------------------------------------------------------------------ */

struct ss_destroy {
	struct sio_nvmf_subsystem *ss;
	sio_done_cb cb;
	void *cb_arg;
};

static void ss_free(struct sio_nvmf_subsystem *ss)
{
	struct nvmf_host *h;
	struct nvmf_ss_listener *l;
	struct sio_nvmf_tgt *tgt = ss->tgt;

	while ((l = TAILQ_FIRST(&ss->listeners)) != NULL)
		nvmf_ss_listener_remove(ss, l);
	while ((h = TAILQ_FIRST(&ss->hosts)) != NULL) {
		TAILQ_REMOVE(&ss->hosts, h, link);
		nvmf_host_put_dhchap(h);
		sio_key_put(h->tls_psk);
		free(h);
	}
	for (uint32_t i = 0; i < ss->max_nsid; i++) {
		if (ss->ns[i] != NULL) {
			sio_bdev_close(ss->ns[i]->desc);
			free(ss->ns[i]);
		}
	}
	ss_close_removed(ss);
	free(ss->ns);
	pthread_mutex_destroy(&ss->mutex);
	pthread_mutex_lock(&tgt->mutex);
	tgt->subsystems[ss->id] = NULL;
	pthread_mutex_unlock(&tgt->mutex);
	tgt->num_subsystems--;
	__atomic_fetch_add(&tgt->discovery_genctr, 1, __ATOMIC_RELAXED);
	free(ss);
}

static void ss_destroy_stopped(void *arg, int rc)
{
	struct ss_destroy *d = arg;

	ss_free(d->ss);
	if (d->cb)
		d->cb(d->cb_arg, 0);
	free(d);
}

static void ss_destroy_msg(void *arg)
{
	ss_destroy_stopped(arg, 0);
}

static int ss_destroy_discovery_wait(void *arg)
{
	struct ss_destroy *d = arg;
	bool empty;

	pthread_mutex_lock(&d->ss->mutex);
	empty = TAILQ_EMPTY(&d->ss->ctrlrs);
	pthread_mutex_unlock(&d->ss->mutex);
	if (!empty)
		return SIO_POLLER_IDLE;
	sio_poller_unregister(&d->ss->destroy_poller);
	ss_destroy_stopped(d, 0);
	return SIO_POLLER_BUSY;
}

int nvmf_subsystem_destroy(struct sio_nvmf_subsystem *ss, sio_done_cb cb, void *cb_arg)
{
	struct ss_destroy *d;
	int rc;

	if (ss->destroying)
		return -EALREADY;
	if (ss->state == SIO_NVMF_SUBSYSTEM_CHANGING)
		return -EBUSY;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->ss = ss;
	d->cb = cb;
	d->cb_arg = cb_arg;
	ss->destroying = true;
	if (ss->subtype == NVMF_SUBTYPE_DISCOVERY) {
		/* No poll group state: disconnect its controllers and wait for them. */
		ss_close_to_hosts(ss);
		ss->destroy_poller = sio_poller_register(ss_destroy_discovery_wait, d, 1000);
		if (ss->destroy_poller == NULL) {
			ss->destroying = false;
			free(d);
			return -ENOMEM;
		}
		return 0;
	}
	if (ss->state == SIO_NVMF_SUBSYSTEM_INACTIVE) {
		rc = sio_thread_send_msg(sio_thread_get_current(), ss_destroy_msg, d);
	} else {
		rc = sio_nvmf_subsystem_stop(ss, ss_destroy_stopped, d);
	}
	if (rc != 0) {
		ss->destroying = false;
		free(d);
	}
	return rc;
}

int sio_nvmf_subsystem_destroy(struct sio_nvmf_subsystem *ss, sio_done_cb cb, void *cb_arg)
{
	if (ss == NULL || ss->subtype == NVMF_SUBTYPE_DISCOVERY)
		return -EINVAL;
	return nvmf_subsystem_destroy(ss, cb, cb_arg);
}

/* ------------------------------------------------------------------------ */
/* Hosts                                                                    */
/* ------------------------------------------------------------------------ */

int sio_nvmf_subsystem_set_allow_any_host(struct sio_nvmf_subsystem *ss, bool allow)
{
	if (ss == NULL || ss->subtype == NVMF_SUBTYPE_DISCOVERY)
		return -EINVAL;
	pthread_mutex_lock(&ss->mutex);
	ss->allow_any_host = allow;
	pthread_mutex_unlock(&ss->mutex);
	__atomic_fetch_add(&ss->tgt->discovery_genctr, 1, __ATOMIC_RELAXED);
	return 0;
}

bool sio_nvmf_subsystem_get_allow_any_host(const struct sio_nvmf_subsystem *ss)
{
	return ss != NULL && __atomic_load_n(&ss->allow_any_host, __ATOMIC_RELAXED);
}

static struct nvmf_host *host_find(struct sio_nvmf_subsystem *ss, const char *hostnqn)
{
	struct nvmf_host *h;

	TAILQ_FOREACH(h, &ss->hosts, link)
		if (strcmp(h->nqn, hostnqn) == 0)
			return h;
	return NULL;
}

int sio_nvmf_subsystem_add_host(struct sio_nvmf_subsystem *ss, const char *hostnqn)
{
	struct nvmf_host *h;

	if (ss == NULL || ss->subtype == NVMF_SUBTYPE_DISCOVERY || !nvmf_nqn_is_valid(hostnqn))
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	snprintf(h->nqn, sizeof(h->nqn), "%s", hostnqn);
	pthread_mutex_lock(&ss->mutex);
	if (host_find(ss, hostnqn) != NULL) {
		pthread_mutex_unlock(&ss->mutex);
		free(h);
		return -EEXIST;
	}
	TAILQ_INSERT_TAIL(&ss->hosts, h, link);
	pthread_mutex_unlock(&ss->mutex);
	__atomic_fetch_add(&ss->tgt->discovery_genctr, 1, __ATOMIC_RELAXED);
	return 0;
}

int sio_nvmf_subsystem_remove_host(struct sio_nvmf_subsystem *ss, const char *hostnqn)
{
	struct nvmf_host *h;

	if (ss == NULL || hostnqn == NULL)
		return -EINVAL;
	pthread_mutex_lock(&ss->mutex);
	h = host_find(ss, hostnqn);
	if (h != NULL)
		TAILQ_REMOVE(&ss->hosts, h, link);
	pthread_mutex_unlock(&ss->mutex);
	if (h == NULL)
		return -ENOENT;
	nvmf_host_put_dhchap(h);
	sio_key_put(h->tls_psk);
	free(h);
	nvmf_subsystem_disconnect_ctrlrs(ss, hostnqn);
	__atomic_fetch_add(&ss->tgt->discovery_genctr, 1, __ATOMIC_RELAXED);
	return 0;
}

void nvmf_host_put_dhchap(struct nvmf_host *h)
{
	sio_key_put(h->dhchap_key);
	sio_key_put(h->dhchap_ctrlr_key);
	h->dhchap_key = NULL;
	h->dhchap_ctrlr_key = NULL;
}

/* A keyring key by @name that must be a DH-HMAC-CHAP secret; NULL name: none. */
static int dhchap_key_get(const char *name, struct sio_key **out)
{
	*out = NULL;
	if (name == NULL)
		return 0;
	*out = sio_keyring_get_key(name);
	if (*out == NULL)
		return -ENOENT;
	if (sio_key_get_format(*out) != SIO_KEY_FORMAT_DHCHAP) {
		sio_key_put(*out);
		*out = NULL;
		return -EKEYREJECTED;
	}
	return 0;
}

int sio_nvmf_subsystem_host_set_dhchap_keys(struct sio_nvmf_subsystem *ss, const char *hostnqn,
					    const char *key_name, const char *ctrlr_key_name)
{
	struct sio_key *key = NULL, *ckey = NULL, *old_key, *old_ckey;
	struct nvmf_host *h;
	int rc;

	if (ss == NULL || hostnqn == NULL || (key_name == NULL && ctrlr_key_name != NULL))
		return -EINVAL;
	rc = dhchap_key_get(key_name, &key);
	if (rc == 0)
		rc = dhchap_key_get(ctrlr_key_name, &ckey);
	if (rc != 0) {
		sio_key_put(key);
		return rc;
	}
	pthread_mutex_lock(&ss->mutex);
	h = host_find(ss, hostnqn);
	if (h == NULL) {
		pthread_mutex_unlock(&ss->mutex);
		sio_key_put(key);
		sio_key_put(ckey);
		return -ENOENT;
	}
	old_key = h->dhchap_key;
	old_ckey = h->dhchap_ctrlr_key;
	h->dhchap_key = key;
	h->dhchap_ctrlr_key = ckey;
	pthread_mutex_unlock(&ss->mutex);
	sio_key_put(old_key);
	sio_key_put(old_ckey);
	return 0;
}

int sio_nvmf_subsystem_host_dhchap_key_names(struct sio_nvmf_subsystem *ss, const char *hostnqn,
					     char *key, char *ctrlr_key, size_t len)
{
	struct nvmf_host *h;
	int rc = 0;

	if (ss == NULL || hostnqn == NULL || key == NULL || ctrlr_key == NULL || len == 0)
		return -EINVAL;
	pthread_mutex_lock(&ss->mutex);
	h = host_find(ss, hostnqn);
	if (h == NULL) {
		rc = -ENOENT;
	} else if (snprintf(key, len, "%s", h->dhchap_key ? sio_key_get_name(h->dhchap_key) : "") >= (int)len ||
		   snprintf(ctrlr_key, len, "%s",
			    h->dhchap_ctrlr_key ? sio_key_get_name(h->dhchap_ctrlr_key) : "") >= (int)len) {
		rc = -ENOSPC;
	}
	pthread_mutex_unlock(&ss->mutex);
	return rc;
}

void nvmf_subsystem_host_dhchap_keys_locked(struct sio_nvmf_subsystem *ss, const char *hostnqn,
					    struct sio_key **key, struct sio_key **ctrlr_key)
{
	struct nvmf_host *h = host_find(ss, hostnqn);

	*key = h != NULL ? sio_key_ref(h->dhchap_key) : NULL;
	*ctrlr_key = h != NULL && *key != NULL ? sio_key_ref(h->dhchap_ctrlr_key) : NULL;
}

bool sio_nvmf_subsystem_host_allowed(struct sio_nvmf_subsystem *ss, const char *hostnqn)
{
	bool ok;

	if (ss == NULL || hostnqn == NULL)
		return false;
	pthread_mutex_lock(&ss->mutex);
	ok = ss->allow_any_host || host_find(ss, hostnqn) != NULL;
	pthread_mutex_unlock(&ss->mutex);
	return ok;
}

int sio_nvmf_subsystem_host_set_psk(struct sio_nvmf_subsystem *ss, const char *hostnqn,
				    const char *key_name)
{
	struct sio_key *key = NULL, *old;
	struct nvmf_host *h;

	if (ss == NULL || hostnqn == NULL)
		return -EINVAL;
	if (key_name != NULL) {
		key = sio_keyring_get_key(key_name);
		if (key == NULL)
			return -ENOENT;
		if (sio_key_get_format(key) != SIO_KEY_FORMAT_TLS_PSK) {
			sio_key_put(key);
			return -EKEYREJECTED;
		}
	}
	pthread_mutex_lock(&ss->mutex);
	h = host_find(ss, hostnqn);
	if (h == NULL) {
		pthread_mutex_unlock(&ss->mutex);
		sio_key_put(key);
		return -ENOENT;
	}
	old = h->tls_psk;
	h->tls_psk = key;
	pthread_mutex_unlock(&ss->mutex);
	sio_key_put(old);
	return 0;
}

int sio_nvmf_subsystem_host_psk_name(struct sio_nvmf_subsystem *ss, const char *hostnqn,
				     char *buf, size_t len)
{
	struct nvmf_host *h;
	int rc = 0;

	if (ss == NULL || hostnqn == NULL || buf == NULL || len == 0)
		return -EINVAL;
	pthread_mutex_lock(&ss->mutex);
	h = host_find(ss, hostnqn);
	if (h == NULL)
		rc = -ENOENT;
	else if (snprintf(buf, len, "%s", h->tls_psk ? sio_key_get_name(h->tls_psk) : "") >= (int)len)
		rc = -ENOSPC;
	pthread_mutex_unlock(&ss->mutex);
	return rc;
}

int nvmf_tgt_tls_psk(struct sio_nvmf_tgt *tgt, const char *identity, uint8_t *out, size_t len)
{
	char hostnqn[SIO_NVMF_NQN_MAX_LEN + 1], subnqn[SIO_NVMF_NQN_MAX_LEN + 1];
	struct sio_nvmf_subsystem *ss = NULL;
	struct sio_key *key = NULL;
	struct nvmf_host *h;
	struct sio_key_secret sec;
	uint8_t hash;
	int rc;

	if (nvme_tcp_tls_identity_parse(identity, &hash, hostnqn, sizeof(hostnqn), subnqn,
					sizeof(subnqn)) != 0)
		return -EINVAL;
	/* As Connect does: the target's mutex keeps the subsystem alive, its
	 * own the host list; the key gets a reference of ours. */
	pthread_mutex_lock(&tgt->mutex);
	for (uint32_t i = 0; i < tgt->max_subsystems && ss == NULL; i++)
		if (tgt->subsystems[i] != NULL && strcmp(tgt->subsystems[i]->nqn, subnqn) == 0)
			ss = tgt->subsystems[i];
	if (ss != NULL) {
		pthread_mutex_lock(&ss->mutex);
		h = host_find(ss, hostnqn);
		if (h != NULL && h->tls_psk != NULL)
			key = sio_keyring_get_key(sio_key_get_name(h->tls_psk));
		pthread_mutex_unlock(&ss->mutex);
	}
	pthread_mutex_unlock(&tgt->mutex);
	if (key == NULL)
		return -ENOENT;
	rc = sio_key_get_secret(key, &sec);
	sio_key_put(key);
	if (rc != 0)
		return -ENOENT;
	rc = nvme_tcp_tls_psk_for_identity(sec.bytes, sec.len, sec.hash, identity, out, len);
	sio_key_secret_clear(&sec);
	return rc;
}

/* Copy the host list for the RPC (app thread; the list changes only there). */
void nvmf_subsystem_foreach_host(struct sio_nvmf_subsystem *ss,
				 void (*fn)(const char *nqn, void *ctx), void *ctx)
{
	struct nvmf_host *h;

	TAILQ_FOREACH(h, &ss->hosts, link)
		fn(h->nqn, ctx);
}

/* ------------------------------------------------------------------------ */
/* Namespaces                                                               */
/* ------------------------------------------------------------------------ */

void sio_nvmf_ns_opts_init(struct sio_nvmf_ns_opts *opts, size_t opts_size)
{
	struct sio_nvmf_ns_opts d = {.opts_size = opts_size};

	if (opts == NULL || opts_size < sizeof(opts->opts_size))
		return;
	memcpy(opts, &d, opts_size < sizeof(d) ? opts_size : sizeof(d));
}

struct sio_nvmf_ns *nvmf_subsystem_ns(struct sio_nvmf_subsystem *ss, uint32_t nsid)
{
	if (ss == NULL || nsid == 0 || nsid > ss->max_nsid)
		return NULL;
	return ss->ns[nsid - 1];
}

static void ns_hot_remove_step(void *arg);

/* A bdev under a namespace went away: remove the namespace (pausing if need be). */
static void ns_event_cb(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
	struct sio_nvmf_ns *ns = ctx;

	if (type != SIO_BDEV_EVENT_REMOVE || ns->removing)
		return;
	ns->removing = true;
	ns_hot_remove_step(ns);
}

static void ns_hot_remove_resumed(void *arg, int rc)
{
	(void)arg;
	(void)rc;
}

static void ns_hot_remove_paused(void *arg, int rc)
{
	struct sio_nvmf_ns *ns = arg;
	struct sio_nvmf_subsystem *ss = ns->ss;

	sio_nvmf_subsystem_remove_ns(ss, ns->nsid);
	if (rc == 0)
		sio_nvmf_subsystem_resume(ss, ns_hot_remove_resumed, NULL);
}

static int ns_hot_remove_retry(void *arg)
{
	struct sio_nvmf_ns *ns = arg;

	sio_poller_unregister(&ns->retry);
	ns_hot_remove_step(ns);
	return SIO_POLLER_BUSY;
}

static void ns_hot_remove_step(void *arg)
{
	struct sio_nvmf_ns *ns = arg;
	struct sio_nvmf_subsystem *ss = ns->ss;

	switch (ss->state) {
	case SIO_NVMF_SUBSYSTEM_INACTIVE:
	case SIO_NVMF_SUBSYSTEM_PAUSED:
		sio_nvmf_subsystem_remove_ns(ss, ns->nsid);
		return;
	case SIO_NVMF_SUBSYSTEM_ACTIVE:
		if (sio_nvmf_subsystem_pause(ss, ns_hot_remove_paused, ns) == 0)
			return;
		break;
	default:
		break;
	}
	/* Another change is under way: look again shortly. */
	ns->retry = sio_poller_register(ns_hot_remove_retry, ns, 10000);
}

int sio_nvmf_subsystem_add_ns(struct sio_nvmf_subsystem *ss, const char *bdev_name,
			      const struct sio_nvmf_ns_opts *opts, uint32_t *nsid_out)
{
	struct sio_nvmf_ns_opts o;
	struct sio_nvmf_ns *ns;
	uint32_t nsid;
	int rc;

	if (ss == NULL || bdev_name == NULL || ss->subtype == NVMF_SUBTYPE_DISCOVERY)
		return -EINVAL;
	sio_nvmf_ns_opts_init(&o, sizeof(o));
	if (opts != NULL) {
		if (opts->opts_size < sizeof(opts->opts_size) || opts->opts_size > sizeof(o))
			return -EINVAL;
		memcpy(&o, opts, opts->opts_size);
	}
	if (ss->state != SIO_NVMF_SUBSYSTEM_INACTIVE && ss->state != SIO_NVMF_SUBSYSTEM_PAUSED)
		return -EBUSY;
	if (o.nsid == SIO_NVME_NSID_ALL || o.nsid > ss->max_nsid)
		return -EINVAL;
	nsid = o.nsid;
	if (nsid == 0) {
		for (nsid = 1; nsid <= ss->max_nsid; nsid++)
			if (ss->ns[nsid - 1] == NULL)
				break;
		if (nsid > ss->max_nsid)
			return -ENOSPC;
	} else if (ss->ns[nsid - 1] != NULL) {
		return -EEXIST;
	}
	ns = calloc(1, sizeof(*ns));
	if (ns == NULL)
		return -ENOMEM;
	ns->ss = ss;
	ns->nsid = nsid;
	rc = sio_bdev_open(bdev_name, true, ns_event_cb, ns, &ns->desc);
	if (rc != 0)
		goto err;
	ns->bdev = sio_bdev_desc_get_bdev(ns->desc);
	snprintf(ns->bdev_name, sizeof(ns->bdev_name), "%s", sio_bdev_get_name(ns->bdev));
	rc = -EINVAL;
	if (nvmf_parse_hex_id(o.uuid ? o.uuid : sio_bdev_get_uuid(ns->bdev), ns->uuid, 16) != 0)
		goto err_close;
	if (o.uuid != NULL && strlen(o.uuid) != 36)
		goto err_close;
	if (o.nguid != NULL) {
		if (nvmf_parse_hex_id(o.nguid, ns->nguid, 16) != 0)
			goto err_close;
		ns->has_nguid = true;
	} else {
		memcpy(ns->nguid, ns->uuid, 16);
	}
	if (o.eui64 != NULL) {
		if (nvmf_parse_hex_id(o.eui64, ns->eui64, 8) != 0)
			goto err_close;
		ns->has_eui64 = true;
	}
	ss->ns[nsid - 1] = ns;
	ss->num_ns++;
	ss_note_change(ss, nsid);
	if (ss->state == SIO_NVMF_SUBSYSTEM_INACTIVE)
		ss_publish_changes(ss);
	if (nsid_out != NULL)
		*nsid_out = nsid;
	return 0;

err_close:
	sio_bdev_close(ns->desc);
err:
	free(ns);
	return rc;
}

int sio_nvmf_subsystem_remove_ns(struct sio_nvmf_subsystem *ss, uint32_t nsid)
{
	struct sio_nvmf_ns *ns;

	if (ss == NULL)
		return -EINVAL;
	if (ss->state != SIO_NVMF_SUBSYSTEM_INACTIVE && ss->state != SIO_NVMF_SUBSYSTEM_PAUSED)
		return -EBUSY;
	ns = nvmf_subsystem_ns(ss, nsid);
	if (ns == NULL)
		return -ENOENT;
	ss->ns[nsid - 1] = NULL;
	ss->num_ns--;
	sio_poller_unregister(&ns->retry);
	ss_note_change(ss, nsid);
	if (ss->state == SIO_NVMF_SUBSYSTEM_INACTIVE) {
		/* No poll group holds a channel of it. */
		sio_bdev_close(ns->desc);
		free(ns);
		ss_publish_changes(ss);
	} else {
		/* Poll groups drop their channels at resume; closed after that. */
		TAILQ_INSERT_TAIL(&ss->removed_ns, ns, rlink);
	}
	return 0;
}

const char *sio_nvmf_subsystem_get_ns_bdev(const struct sio_nvmf_subsystem *ss, uint32_t nsid)
{
	struct sio_nvmf_ns *ns = nvmf_subsystem_ns((struct sio_nvmf_subsystem *)ss, nsid);

	return ns ? ns->bdev_name : NULL;
}

uint32_t sio_nvmf_subsystem_next_nsid(const struct sio_nvmf_subsystem *ss, uint32_t prev)
{
	if (ss == NULL)
		return 0;
	for (uint32_t nsid = prev + 1; nsid <= ss->max_nsid; nsid++)
		if (ss->ns[nsid - 1] != NULL)
			return nsid;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Listeners                                                                */
/* ------------------------------------------------------------------------ */

static struct nvmf_ss_listener *ss_listener_find(struct sio_nvmf_subsystem *ss,
						 const struct nvmf_trid *trid)
{
	struct nvmf_ss_listener *l;

	TAILQ_FOREACH(l, &ss->listeners, link)
		if (nvmf_trid_equal(&l->tl->trid, trid))
			return l;
	return NULL;
}

int sio_nvmf_subsystem_add_listener(struct sio_nvmf_subsystem *ss,
				    const struct sio_nvmf_listen_addr *addr)
{
	struct nvmf_trid trid;
	struct sio_nvmf_transport *t;
	struct nvmf_transport_listener *tl;
	struct nvmf_ss_listener *l;
	int rc;

	if (ss == NULL)
		return -EINVAL;
	rc = nvmf_trid_from_addr(&trid, addr);
	if (rc != 0)
		return rc;
	t = sio_nvmf_tgt_get_transport(ss->tgt, trid.trtype);
	if (t == NULL)
		return -ENOTSUP;
	if (trid.port != 0 && ss_listener_find(ss, &trid) != NULL)
		return -EEXIST;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	tl = NULL;
	if (trid.port != 0) {
		TAILQ_FOREACH(tl, &t->listeners, link)
			if (nvmf_trid_equal(&tl->trid, &trid))
				break;
		/* One socket: TLS for every subsystem on it, or for none. */
		if (tl != NULL && tl->secure != addr->secure_channel) {
			free(l);
			return -EINVAL;
		}
	}
	if (tl == NULL) {
		tl = calloc(1, sizeof(*tl));
		if (tl == NULL) {
			free(l);
			return -ENOMEM;
		}
		tl->trid = trid;
		tl->secure = addr->secure_channel;
		rc = t->ops->listen(t, tl);
		if (rc != 0) {
			free(tl);
			free(l);
			return rc;
		}
		TAILQ_INSERT_TAIL(&t->listeners, tl, link);
	}
	tl->refs++;
	l->tl = tl;
	l->transport = t;
	pthread_mutex_lock(&ss->tgt->mutex);
	TAILQ_INSERT_TAIL(&ss->listeners, l, link);
	pthread_mutex_unlock(&ss->tgt->mutex);
	__atomic_fetch_add(&ss->tgt->discovery_genctr, 1, __ATOMIC_RELAXED);
	return 0;
}

void nvmf_ss_listener_remove(struct sio_nvmf_subsystem *ss, struct nvmf_ss_listener *l)
{
	struct nvmf_transport_listener *tl = l->tl;

	pthread_mutex_lock(&ss->tgt->mutex);
	TAILQ_REMOVE(&ss->listeners, l, link);
	pthread_mutex_unlock(&ss->tgt->mutex);
	if (--tl->refs == 0) {
		TAILQ_REMOVE(&l->transport->listeners, tl, link);
		l->transport->ops->stop_listen(l->transport, tl);
		free(tl);
	}
	free(l);
	__atomic_fetch_add(&ss->tgt->discovery_genctr, 1, __ATOMIC_RELAXED);
}

/*
 * The controllers of @ss whose admin queue came in at @t (local address and
 * port of the connection) are asked to disconnect, as SPDK does when a
 * listener is removed: a host with another path moves to it. Returns how many.
 */
static int ss_disconnect_listener(struct sio_nvmf_subsystem *ss, const struct nvmf_trid *t)
{
	struct nvmf_ctrlr *ctrlr;
	int n = 0;

	pthread_mutex_lock(&ss->mutex);
	TAILQ_FOREACH(ctrlr, &ss->ctrlrs, link) {
		/* The admin qpair stays allocated while it is set (cleared under this mutex). */
		struct nvmf_qpair *qp = ctrlr->admin_qpair;
		char la[64] = "", pa[64] = "";
		uint16_t lport = 0, pport = 0;

		if (qp == NULL || qp->ops->get_addrs == NULL)
			continue;
		qp->ops->get_addrs(qp, la, sizeof(la), &lport, pa, sizeof(pa), &pport);
		if (!nvmf_trid_has_local(t, la, lport))
			continue;
		nvmf_ctrlr_request_disconnect(ctrlr);
		n++;
	}
	pthread_mutex_unlock(&ss->mutex);
	if (n > 0)
		nvmf_tgt_kick_pgs(ss->tgt);
	return n;
}

bool nvmf_subsystem_listener_allowed_locked(struct sio_nvmf_subsystem *ss, struct nvmf_qpair *qp,
					    char *laddr, size_t llen, uint16_t *lport)
{
	char la[64] = "", pa[64];
	uint16_t lp = 0, pp;
	struct nvmf_ss_listener *l;
	bool found = false;

	/* The connection's local end is the listener it came in through (the
	 * kernel refuses a second socket on a port a wildcard listener holds). */
	if (qp->ops->get_addrs != NULL)
		qp->ops->get_addrs(qp, la, sizeof(la), &lp, pa, sizeof(pa), &pp);
	if (laddr != NULL)
		snprintf(laddr, llen, "%s", la);
	if (lport != NULL)
		*lport = lp;
	if (ss->subtype == NVMF_SUBTYPE_DISCOVERY)
		return true;
	TAILQ_FOREACH(l, &ss->listeners, link)
		found |= l->transport == qp->transport && nvmf_trid_has_local(&l->tl->trid, la, lp);
	return found;
}

int sio_nvmf_subsystem_remove_listener(struct sio_nvmf_subsystem *ss,
				       const struct sio_nvmf_listen_addr *addr)
{
	struct nvmf_trid trid;
	struct nvmf_ss_listener *l;
	int rc;

	if (ss == NULL)
		return -EINVAL;
	rc = nvmf_trid_from_addr(&trid, addr);
	if (rc != 0)
		return rc;
	l = ss_listener_find(ss, &trid);
	if (l == NULL)
		return -ENOENT;
	trid = l->tl->trid; /* with the port really listened on */
	nvmf_ss_listener_remove(ss, l);
	ss_disconnect_listener(ss, &trid);
	return 0;
}

int sio_nvmf_subsystem_listener_port(struct sio_nvmf_subsystem *ss,
				     const struct sio_nvmf_listen_addr *addr)
{
	struct nvmf_trid trid;
	struct nvmf_ss_listener *l;

	if (ss == NULL || nvmf_trid_from_addr(&trid, addr) != 0)
		return -ENOENT;
	l = ss_listener_find(ss, &trid);
	return l ? l->tl->trid.port : -ENOENT;
}

/* A transport ID's fabric fields as the listen address the RPC object carries. */
static int addr_from_trid(const struct sio_nvme_transport_id *trid,
			  struct sio_nvmf_listen_addr *a)
{
	if (trid == NULL || trid->trtype == SIO_NVME_TRANSPORT_NONE || trid->traddr[0] == '\0')
		return -EINVAL;
	/* Every field set: the struct grows (secure_channel came after these). */
	memset(a, 0, sizeof(*a));
	a->trtype = sio_nvme_transport_type_str(trid->trtype);
	a->adrfam = trid->adrfam == SIO_NVME_ADRFAM_NONE ? NULL : sio_nvme_adrfam_str(trid->adrfam);
	a->traddr = trid->traddr;
	a->trsvcid = trid->trsvcid[0] ? trid->trsvcid : NULL;
	return 0;
}

int sio_nvmf_subsystem_add_listener_trid(struct sio_nvmf_subsystem *ss,
					 const struct sio_nvme_transport_id *trid)
{
	struct sio_nvmf_listen_addr a;
	int rc = addr_from_trid(trid, &a);

	return rc ? rc : sio_nvmf_subsystem_add_listener(ss, &a);
}

int sio_nvmf_subsystem_remove_listener_trid(struct sio_nvmf_subsystem *ss,
					    const struct sio_nvme_transport_id *trid)
{
	struct sio_nvmf_listen_addr a;
	int rc = addr_from_trid(trid, &a);

	return rc ? rc : sio_nvmf_subsystem_remove_listener(ss, &a);
}
