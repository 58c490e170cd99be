/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The metrics endpoint: Prometheus text exposition format (version 0.0.4)
 * over HTTP/1.1 from an OS thread of its own (docs/metrics.md).
 *
 * Who does what, and why nobody on the I/O path waits:
 * - the server thread accepts one connection at a time, reads the request
 *   (2 s limit), asks the app thread for a snapshot by message and waits on
 *   a condition variable for it (2 s limit, then the previous snapshot);
 * - the app thread runs the collectors one after the other; a collector that
 *   needs another thread's data asks that thread by message (the bdev one
 *   walks channels like sio_bdev_get_io_stat()), so each I/O thread only runs
 *   a short message per scrape and never takes a lock for the exporter;
 * - the finished text is handed over under g_srv.lock, which only the app
 *   thread (to publish) and the server thread (to copy) take.
 * Concurrent scrapes while a collection runs share it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app/app_internal.h"
#include "app/metrics_internal.h"
#include "spdk_io/metrics.h"
#include "spdk_io/spdk_io.h"

#define METRICS_WAIT_MS 2000     /* a scrape waits this long for a fresh snapshot */
#define METRICS_REQ_MAX 8192     /* bytes of request head accepted */
#define METRICS_IO_MS 2000       /* per read/write of a client */

/* ------------------------------------------------------------------------ */
/* Collection (app thread)                                                  */
/* ------------------------------------------------------------------------ */

/* The server's state; lock/cond shared with the server thread. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Under lock. */
	uint64_t asked;         /* scrapes that asked for a snapshot */
	uint64_t done;          /* the newest "asked" value a published snapshot answers */
	char *text;             /* the last snapshot */
	size_t len;
	/* App thread only. */
	bool collecting;
	uint64_t target;        /* "asked" when the running collection started */
	struct sio_metrics *m;
	size_t next;            /* next collector to run */
	bool stopping;          /* under lock: stop() wants the server thread out now */
	/* Set by start, cleared by stop (app thread); the server thread reads them. */
	bool running;
	int listen_fd;
	int stop_fd;
	pthread_t tid;
	struct sio_thread *app_thread;
	char addr[80];
} g_srv = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.listen_fd = -1,
	.stop_fd = -1,
};

static void collect_next(void *arg, int status);

/* Reactors and threads: the app layer's own figures. */
static void app_reactor_sample(const struct app_reactor_info *r, struct sio_thread *const *threads,
			       const uint64_t *since, size_t n, void *ctx)
{
	struct sio_metrics *m = ctx;
	double hz = (double)sio_get_ticks_hz();
	char core[16];
	const char *lab[] = {"core", core, NULL};

	snprintf(core, sizeof(core), "%d", r->core);
	sio_metrics_sample(m, "sio_reactor_busy_seconds_total", SIO_METRIC_COUNTER,
			   "Time the reactor spent in loop turns that found work.", "", lab, NULL,
			   (double)r->busy_tsc / hz);
	sio_metrics_sample(m, "sio_reactor_idle_seconds_total", SIO_METRIC_COUNTER,
			   "Time the reactor spent in loop turns that found nothing to do.", "",
			   lab, NULL, (double)r->idle_tsc / hz);
	sio_metrics_sample(m, "sio_reactor_threads", SIO_METRIC_GAUGE,
			   "sio_threads placed on the reactor.", "", lab, NULL, (double)n);
}

/* On each thread, by message: its busy/idle ticks and pollers are its own. */
static void thread_sample(void *ctx)
{
	struct sio_metrics *m = ctx;
	struct sio_thread *t = sio_thread_get_current();
	struct sio_thread_stats st = {0};
	struct app_poller_counts pc;
	double hz = (double)sio_get_ticks_hz();
	char id[24];
	const char *lab[] = {"thread", sio_thread_get_name(t), "id", id, NULL};
	const char *plab[] = {"thread", sio_thread_get_name(t), "id", id, "kind", "active", NULL};

	snprintf(id, sizeof(id), "%llu", (unsigned long long)sio_thread_get_id(t));
	sio_thread_get_stats(t, &st);
	app_count_pollers(t, &pc);
	sio_metrics_sample(m, "sio_thread_busy_seconds_total", SIO_METRIC_COUNTER,
			   "Time the sio_thread spent in polls that did work.", "", lab, NULL,
			   (double)st.busy_tsc / hz);
	sio_metrics_sample(m, "sio_thread_idle_seconds_total", SIO_METRIC_COUNTER,
			   "Time the sio_thread spent in polls that found nothing.", "", lab, NULL,
			   (double)st.idle_tsc / hz);
	sio_metrics_sample(m, "sio_thread_pollers", SIO_METRIC_GAUGE,
			   "Pollers registered on the sio_thread, by kind.", "", plab, NULL,
			   (double)pc.active);
	plab[5] = "timed";
	sio_metrics_sample(m, "sio_thread_pollers", SIO_METRIC_GAUGE, NULL, "", plab, NULL,
			   (double)pc.timed);
	plab[5] = "paused";
	sio_metrics_sample(m, "sio_thread_pollers", SIO_METRIC_GAUGE, NULL, "", plab, NULL,
			   (double)pc.paused);
}

static void threads_sampled(void *ctx)
{
	collect_next(NULL, 0);
}

static void publish(void)
{
	size_t len = 0;
	char *text = NULL;

	text = app_metrics_render(g_srv.m, &len);
	app_metrics_free(g_srv.m);
	g_srv.m = NULL;
	pthread_mutex_lock(&g_srv.lock);
	if (text != NULL && !g_srv.running) {
		free(text); /* stopped meanwhile: nobody will read it */
	} else if (text != NULL) {
		free(g_srv.text);
		g_srv.text = text;
		g_srv.len = len;
	}
	/* Even a failed collection answers its waiters (with the previous text). */
	g_srv.done = g_srv.target;
	pthread_cond_broadcast(&g_srv.cond);
	pthread_mutex_unlock(&g_srv.lock);
}

static void collect_start(void *arg);

/* Run the registered collectors in turn, then publish. */
static void collect_next(void *arg, int status)
{
	const struct sio_metrics_collector *c;

	(void)arg;
	(void)status; /* a collector that failed leaves out its samples, nothing more */
	c = app_metrics_collector(g_srv.next++);
	if (c != NULL) {
		c->collect(g_srv.m, collect_next, NULL);
		return;
	}
	publish();
	g_srv.collecting = false;
	/* Scrapes that asked while this one ran: one more collection for all of them. */
	pthread_mutex_lock(&g_srv.lock);
	bool again = g_srv.asked > g_srv.done;
	pthread_mutex_unlock(&g_srv.lock);
	if (again)
		collect_start(NULL);
}

/* A message from the server thread (or a re-run): start a collection unless one runs. */
static void collect_start(void *arg)
{
	(void)arg;
	if (g_srv.collecting)
		return;
	g_srv.m = app_metrics_alloc();
	pthread_mutex_lock(&g_srv.lock);
	g_srv.target = g_srv.asked;
	pthread_mutex_unlock(&g_srv.lock);
	if (g_srv.m == NULL) {
		pthread_mutex_lock(&g_srv.lock);
		g_srv.done = g_srv.target;
		pthread_cond_broadcast(&g_srv.cond);
		pthread_mutex_unlock(&g_srv.lock);
		return;
	}
	g_srv.collecting = true;
	g_srv.next = 0;
	app_reactors_foreach(app_reactor_sample, g_srv.m);
	if (sio_for_each_thread(thread_sample, g_srv.m, threads_sampled) != 0)
		collect_next(NULL, 0);
}

/* ------------------------------------------------------------------------ */
/* HTTP server thread                                                       */
/* ------------------------------------------------------------------------ */

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		ssize_t n;

		if (poll(&pfd, 1, METRICS_IO_MS) <= 0)
			return -ETIMEDOUT;
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void reply(int fd, const char *status, const char *ctype, const char *body, size_t len,
		  bool head_only)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", status, ctype, len);

	if (write_all(fd, hdr, (size_t)n) == 0 && !head_only)
		write_all(fd, body, len);
}

/* A fresh snapshot, or the previous one after METRICS_WAIT_MS; NULL if none yet. */
static char *snapshot(size_t *len)
{
	struct timespec until;
	uint64_t mine;
	char *copy = NULL;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += METRICS_WAIT_MS / 1000;
	pthread_mutex_lock(&g_srv.lock);
	mine = ++g_srv.asked;
	pthread_mutex_unlock(&g_srv.lock);
	if (sio_thread_send_msg(g_srv.app_thread, collect_start, NULL) == 0) {
		pthread_mutex_lock(&g_srv.lock);
		while (g_srv.done < mine && !g_srv.stopping)
			if (pthread_cond_timedwait(&g_srv.cond, &g_srv.lock, &until) == ETIMEDOUT)
				break;
		pthread_mutex_unlock(&g_srv.lock);
	}
	pthread_mutex_lock(&g_srv.lock);
	if (g_srv.text != NULL) {
		copy = malloc(g_srv.len + 1);
		if (copy != NULL) {
			memcpy(copy, g_srv.text, g_srv.len + 1);
			*len = g_srv.len;
		}
	}
	pthread_mutex_unlock(&g_srv.lock);
	return copy;
}

static void serve_one(int fd)
{
	char req[METRICS_REQ_MAX + 1];
	size_t got = 0;
	char method[16], path[256], version[16];
	bool head;

	while (got < METRICS_REQ_MAX) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, METRICS_IO_MS) <= 0)
			return;
		n = recv(fd, req + got, METRICS_REQ_MAX - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
			break;
	}
	req[got] = '\0';
	if (sscanf(req, "%15s %255s %15s", method, path, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0) {
		reply(fd, "400 Bad Request", "text/plain", "bad request\n", 12, false);
		return;
	}
	head = strcmp(method, "HEAD") == 0;
	if (strcmp(method, "GET") != 0 && !head) {
		reply(fd, "405 Method Not Allowed", "text/plain", "only GET\n", 9, false);
		return;
	}
	if (strcmp(path, "/metrics") != 0 && strncmp(path, "/metrics?", 9) != 0) {
		reply(fd, "404 Not Found", "text/plain", "try /metrics\n", 13, head);
		return;
	}
	size_t len = 0;
	char *text = snapshot(&len);

	if (text == NULL) {
		reply(fd, "503 Service Unavailable", "text/plain", "no snapshot yet\n", 16, head);
		return;
	}
	reply(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", text, len, head);
	free(text);
}

static void *server_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd pfd[2] = {{.fd = g_srv.listen_fd, .events = POLLIN},
					{.fd = g_srv.stop_fd, .events = POLLIN}};
		int fd;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents != 0)
			break;
		fd = accept4(g_srv.listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve_one(fd);
		close(fd);
	}
	return NULL;
}

/* "A.B.C.D:PORT" or "[V6]:PORT" into host and port strings. */
static int split_addr(const char *addr, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon;
	size_t n;

	if (addr == NULL || *addr == '\0')
		return -EINVAL;
	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (end == NULL || end[1] != ':')
			return -EINVAL;
		n = (size_t)(end - addr - 1);
		colon = end + 1;
		addr++;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL)
			return -EINVAL;
		n = (size_t)(colon - addr);
	}
	if (n == 0 || n >= hlen || strlen(colon + 1) == 0 || strlen(colon + 1) >= plen)
		return -EINVAL;
	memcpy(host, addr, n);
	host[n] = '\0';
	snprintf(port, plen, "%s", colon + 1);
	for (const char *c = port; *c != '\0'; c++)
		if (*c < '0' || *c > '9')
			return -EINVAL;
	return 0;
}

int sio_metrics_server_start(const char *addr)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
	struct addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[64], port[8], shost[64];
	int one = 1, fd = -1, efd = -1, rc;

	if (split_addr(addr, host, sizeof(host), port, sizeof(port)) != 0)
		return -EINVAL;
	if (g_srv.running)
		return -EALREADY;
	g_srv.app_thread = app_get_thread();
	if (g_srv.app_thread == NULL)
		return -EPERM;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		rc = -errno;
		goto fail;
	}
	if (getnameinfo((struct sockaddr *)&ss, sl, shost, sizeof(shost), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		rc = -EINVAL;
		goto fail;
	}
	snprintf(g_srv.addr, sizeof(g_srv.addr), ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 shost, port);
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0) {
		rc = -errno;
		goto fail;
	}
	g_srv.listen_fd = fd;
	g_srv.stop_fd = efd;
	rc = pthread_create(&g_srv.tid, NULL, server_main, NULL);
	if (rc != 0) {
		rc = -rc;
		goto fail;
	}
	pthread_setname_np(g_srv.tid, "sio_metrics");
	g_srv.running = true;
	freeaddrinfo(ai);
	SIO_NOTICELOG("metrics: serving http://%s/metrics", g_srv.addr);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (efd >= 0)
		close(efd);
	g_srv.listen_fd = g_srv.stop_fd = -1;
	g_srv.addr[0] = '\0';
	freeaddrinfo(ai);
	return rc;
}

const char *sio_metrics_server_address(void)
{
	return g_srv.running ? g_srv.addr : NULL;
}

int sio_metrics_server_stop(void)
{
	uint64_t one = 1;

	if (!g_srv.running)
		return -ENOENT;
	pthread_mutex_lock(&g_srv.lock);
	g_srv.stopping = true; /* a scrape waiting for this (busy) thread gives up */
	pthread_cond_broadcast(&g_srv.cond);
	pthread_mutex_unlock(&g_srv.lock);
	if (write(g_srv.stop_fd, &one, sizeof(one)) != sizeof(one))
		SIO_ERRLOG("metrics: cannot wake the server thread: %s", strerror(errno));
	pthread_join(g_srv.tid, NULL);
	close(g_srv.listen_fd);
	close(g_srv.stop_fd);
	g_srv.listen_fd = g_srv.stop_fd = -1;
	g_srv.running = false;
	g_srv.addr[0] = '\0';
	pthread_mutex_lock(&g_srv.lock);
	free(g_srv.text);
	g_srv.text = NULL;
	g_srv.len = 0;
	g_srv.stopping = false;
	pthread_mutex_unlock(&g_srv.lock);
	return 0;
}

/* The "metrics" subsystem: stops the server at shutdown. */
static void metrics_fini(sio_done_cb done, void *cb_arg)
{
	sio_metrics_server_stop();
	done(cb_arg, 0);
}

const struct sio_subsystem sio_subsystem_metrics = {
	.name = "metrics",
	.fini = metrics_fini,
};
