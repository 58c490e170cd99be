/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The metrics snapshot writer (sio_metrics_sample() and the text rendering)
 * and the list of collectors, apart from the server (metrics.c): a layer
 * registering its collector at init, and writing samples, must not drag the
 * server, the app and its generated registry into programs that only use
 * that layer (the layers' unit tests).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/metrics_internal.h"

/* ------------------------------------------------------------------------ */
/* The snapshot writer                                                      */
/* ------------------------------------------------------------------------ */

#define METRICS_MAX_FAMILIES 128

struct metrics_family {
	char name[96];
	enum sio_metric_type type;
	char *help;
	char *buf;          /* its sample lines */
	size_t len, cap;
};

struct sio_metrics {
	struct metrics_family fam[METRICS_MAX_FAMILIES];
	size_t nfam;
	int error;          /* first -ENOMEM while writing: the snapshot is dropped */
};

static bool name_ok(const char *s)
{
	if (s == NULL || *s == '\0' || !(*s == '_' || *s == ':' || (*s >= 'a' && *s <= 'z') ||
					 (*s >= 'A' && *s <= 'Z')))
		return false;
	for (; *s != '\0'; s++)
		if (!(*s == '_' || *s == ':' || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static int buf_grow(char **buf, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 256;
	char *p;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = realloc(*buf, c);
	if (p == NULL)
		return -ENOMEM;
	*buf = p;
	*cap = c;
	return 0;
}

static int fam_printf(struct metrics_family *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fam_printf(struct metrics_family *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(&f->buf, &f->cap, f->len + (size_t)n + 1) != 0)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(f->buf + f->len, f->cap - f->len, fmt, ap);
	va_end(ap);
	f->len += (size_t)n;
	return 0;
}

/* A label value with \, " and newline escaped, as the format requires. */
static int fam_put_escaped(struct metrics_family *f, const char *v)
{
	for (; *v != '\0'; v++) {
		int rc;

		if (*v == '\\')
			rc = fam_printf(f, "\\\\");
		else if (*v == '"')
			rc = fam_printf(f, "\\\"");
		else if (*v == '\n')
			rc = fam_printf(f, "\\n");
		else
			rc = fam_printf(f, "%c", *v);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static struct metrics_family *fam_get(struct sio_metrics *m, const char *name,
				      enum sio_metric_type type, const char *help)
{
	struct metrics_family *f;

	for (size_t i = 0; i < m->nfam; i++)
		if (strcmp(m->fam[i].name, name) == 0)
			return m->fam[i].type == type ? &m->fam[i] : NULL;
	if (m->nfam == METRICS_MAX_FAMILIES || strlen(name) >= sizeof(f->name))
		return NULL;
	f = &m->fam[m->nfam];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->type = type;
	f->help = strdup(help != NULL ? help : "");
	if (f->help == NULL)
		return NULL;
	/* HELP text escapes only backslash and newline. */
	for (char *c = f->help; *c != '\0'; c++)
		if (*c == '\n' || *c == '\\')
			*c = ' ';
	m->nfam++;
	return f;
}

int sio_metrics_sample(struct sio_metrics *m, const char *family, enum sio_metric_type type,
		       const char *help, const char *suffix, const char *const *labels,
		       const char *le, double value)
{
	struct metrics_family *f;
	bool first = true;
	int rc;

	if (m == NULL || !name_ok(family) || (unsigned)type > SIO_METRIC_HISTOGRAM)
		return -EINVAL;
	f = fam_get(m, family, type, help);
	if (f == NULL)
		return -EINVAL;
	rc = fam_printf(f, "%s%s", family, suffix != NULL ? suffix : "");
	for (size_t i = 0; rc == 0 && labels != NULL && labels[i] != NULL; i += 2) {
		if (!name_ok(labels[i]) || labels[i + 1] == NULL)
			return -EINVAL;
		rc = fam_printf(f, "%s%s=\"", first ? "{" : ",", labels[i]);
		if (rc == 0)
			rc = fam_put_escaped(f, labels[i + 1]);
		if (rc == 0)
			rc = fam_printf(f, "\"");
		first = false;
	}
	if (rc == 0 && le != NULL)
		rc = fam_printf(f, "%sle=\"%s\"", first ? "{" : ",", le), first = false;
	if (rc == 0 && !first)
		rc = fam_printf(f, "}");
	if (rc == 0)
		rc = fam_printf(f, " %.17g\n", value);
	if (rc != 0 && m->error == 0)
		m->error = rc;
	return rc;
}

static const char *const g_type_names[] = {"counter", "gauge", "histogram"};

/* The whole exposition; NULL on -ENOMEM. */
char *app_metrics_render(struct sio_metrics *m, size_t *len)
{
	struct metrics_family out = {0};

	if (m->error != 0)
		return NULL;
	for (size_t i = 0; i < m->nfam; i++) {
		struct metrics_family *f = &m->fam[i];

		if (fam_printf(&out, "# HELP %s %s\n# TYPE %s %s\n%.*s", f->name, f->help,
			       f->name, g_type_names[f->type], (int)f->len,
			       f->buf != NULL ? f->buf : "") != 0) {
			free(out.buf);
			return NULL;
		}
	}
	if (out.buf == NULL && fam_printf(&out, "%s", "") != 0)
		return NULL;
	*len = out.len;
	return out.buf;
}

void app_metrics_free(struct sio_metrics *m)
{
	for (size_t i = 0; i < m->nfam; i++) {
		free(m->fam[i].help);
		free(m->fam[i].buf);
	}
	free(m);
}

/* ------------------------------------------------------------------------ */
/* Collectors and the collection (app thread)                               */
/* ------------------------------------------------------------------------ */

struct sio_metrics *app_metrics_alloc(void)
{
	return calloc(1, sizeof(struct sio_metrics));
}

/* ------------------------------------------------------------------------ */
/* Collectors                                                               */
/* ------------------------------------------------------------------------ */

#define METRICS_MAX_COLLECTORS 16

static pthread_mutex_t g_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct sio_metrics_collector *g_collectors[METRICS_MAX_COLLECTORS];
static size_t g_ncollectors;

int sio_metrics_register(const struct sio_metrics_collector *c)
{
	int rc = 0;

	if (c == NULL || c->collect == NULL || c->name == NULL)
		return -EINVAL;
	pthread_mutex_lock(&g_reg_lock);
	for (size_t i = 0; i < g_ncollectors; i++)
		if (g_collectors[i] == c)
			rc = -EEXIST;
	if (rc == 0 && g_ncollectors == METRICS_MAX_COLLECTORS)
		rc = -ENOSPC;
	if (rc == 0)
		g_collectors[g_ncollectors++] = c;
	pthread_mutex_unlock(&g_reg_lock);
	return rc;
}

const struct sio_metrics_collector *app_metrics_collector(size_t i)
{
	const struct sio_metrics_collector *c = NULL;

	pthread_mutex_lock(&g_reg_lock);
	if (i < g_ncollectors)
		c = g_collectors[i];
	pthread_mutex_unlock(&g_reg_lock);
	return c;
}
