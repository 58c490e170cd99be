/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hello_nvme: the NVMe host driver in one page. Connects to an NVMe-oF
 * controller over NVMe/TCP, prints who it is and its namespaces, then from a
 * few tasks writes blocks of namespace 1, reads them back (into one buffer,
 * then scattered over two iovecs) and compares. Last, it sends a read past
 * the end of the namespace: a completion carries the controller's NVMe status
 * (SCT/SC), not only an errno. Every step awaits: no callbacks.
 *
 *   hello_nvme      self-contained: an NVMe-oF target in this process (a RAM
 *                   bdev exported over TCP on 127.0.0.1, a free port), and
 *                   the host connects to it
 *   hello_nvme -r 'trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420
 *                  subnqn:nqn.2016-06.io.spdk:cnode1'
 *                   any NVMe/TCP target: sio_tgt, SPDK's nvmf_tgt, Linux nvmet
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spdk_io/app.h"
#include "spdk_io/bdev_modules.h"
#include "spdk_io/env.h"
#include "spdk_io/nvme.h"
#include "spdk_io/nvmf.h"

#define HELLO_NQN "nqn.2016-06.io.spdk-io:hello"
#define TASKS 4
#define BLOCKS_PER_TASK 8 /* task i owns LBAs i*8 .. i*8+7 of namespace 1 */

struct hello {
	struct sio_nvme_transport_id trid; /* from -r, or our own target's */
	bool own_target;
	struct sio_nvmf_tgt *tgt;
	bool have_bdev;
	struct sio_nvme_ctrlr *ctrlr;
	struct sio_nvme_ns *ns;    /* namespace 1 */
	struct sio_nvme_qpair *qp; /* one queue pair for every task: they all run on this thread */
};

struct worker {
	struct hello *h;
	unsigned int id;
};

static int fail(const char *what, int rc)
{
	fprintf(stderr, "hello_nvme: %s: %s\n", what, strerror(-rc));
	return rc;
}

/*
 * The target side, what sio_tgt's RPCs build: a 16 MiB RAM bdev, a TCP
 * transport, a subsystem that exports the bdev as namespace 1 to any host
 * and listens on 127.0.0.1 at a port the kernel picks (trsvcid "0").
 */
static int start_target(struct hello *h)
{
	struct sio_nvmf_listen_addr la = {.trtype = "TCP", .traddr = "127.0.0.1", .trsvcid = "0"};
	struct sio_bdev_malloc_opts mo;
	struct sio_nvmf_subsystem_opts so;
	struct sio_nvmf_subsystem *ss;
	char port[12];
	int rc;

	sio_bdev_malloc_opts_init(&mo, sizeof(mo));
	mo.name = "Malloc0";
	mo.block_size = 512;
	mo.num_blocks = 32768;
	rc = sio_bdev_malloc_create(&mo, NULL);
	if (rc != 0)
		return fail("malloc bdev", rc);
	h->have_bdev = true;
	rc = sio_nvmf_tgt_create(NULL, &h->tgt);
	if (rc != 0)
		return fail("nvmf target", rc);
	rc = sio_nvmf_tgt_add_transport(h->tgt, "TCP", NULL, NULL);
	if (rc != 0)
		return fail("TCP transport", rc);
	sio_nvmf_subsystem_opts_init(&so, sizeof(so));
	so.serial_number = "SIO-HELLO-0001";
	so.model_number = "spdk-io hello_nvme";
	so.allow_any_host = true;
	rc = sio_nvmf_subsystem_create(h->tgt, HELLO_NQN, &so, &ss);
	if (rc != 0)
		return fail("subsystem", rc);
	rc = sio_nvmf_subsystem_add_ns(ss, "Malloc0", NULL, NULL);
	if (rc != 0)
		return fail("namespace", rc);
	rc = sio_nvmf_subsystem_add_listener(ss, &la);
	if (rc != 0)
		return fail("listener on 127.0.0.1", rc);
	rc = sio_nvmf_subsystem_start_await(ss);
	if (rc != 0)
		return fail("subsystem start", rc);
	rc = sio_nvmf_subsystem_listener_port(ss, &la);
	if (rc < 0)
		return fail("listener port", rc);
	snprintf(port, sizeof(port), "%d", rc);
	printf("target: %s serves Malloc0 on 127.0.0.1 port %s\n", HELLO_NQN, port);
	return sio_nvme_transport_id_init_tcp(&h->trid, "127.0.0.1", port, HELLO_NQN);
}

/* Identify strings are space padded and not NUL terminated: print them trimmed. */
static void print_str(const char *name, const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
		n--;
	printf("  %-9s %.*s\n", name, (int)n, s);
}

static void print_identity(struct hello *h)
{
	const struct sio_nvme_ctrlr_data *d = sio_nvme_ctrlr_get_data(h->ctrlr);
	char trid[1024];

	sio_nvme_transport_id_format(sio_nvme_ctrlr_get_trid(h->ctrlr), trid, sizeof(trid));
	printf("connected to %s, controller ID %u\n", trid, sio_nvme_ctrlr_get_cntlid(h->ctrlr));
	print_str("model", d->mn, sizeof(d->mn));
	print_str("serial", d->sn, sizeof(d->sn));
	print_str("firmware", d->fr, sizeof(d->fr));
	print_str("NQN", d->subnqn, strnlen(d->subnqn, sizeof(d->subnqn)));
	for (uint32_t id = sio_nvme_ctrlr_get_first_active_ns(h->ctrlr); id != 0;
	     id = sio_nvme_ctrlr_get_next_active_ns(h->ctrlr, id)) {
		struct sio_nvme_ns *ns = sio_nvme_ctrlr_get_ns(h->ctrlr, id);

		printf("  namespace %u: %" PRIu64 " blocks of %u bytes\n", id,
		       sio_nvme_ns_get_num_sectors(ns), sio_nvme_ns_get_sector_size(ns));
	}
}

/* Says what failed, with the controller's status when it answered with one. */
static int io_fail(unsigned int task, const char *what, int rc, const struct sio_nvme_cpl *cpl)
{
	fprintf(stderr, "hello_nvme: task %u: %s: %s", task, what, strerror(-rc));
	if (sio_nvme_cpl_is_error(cpl))
		fprintf(stderr, " (SCT 0x%x SC 0x%02x)", cpl->status.sct, cpl->status.sc);
	fputc('\n', stderr);
	return rc;
}

/* What came back must be what was written. */
static int verify(unsigned int task, const char *what, const uint8_t *w, const uint8_t *r,
		  size_t len)
{
	if (memcmp(w, r, len) == 0)
		return 0;
	fprintf(stderr, "hello_nvme: task %u: %s returned other bytes than were written\n", task,
		what);
	return -EILSEQ;
}

/* One task: write its blocks, read them back whole, then into two iovecs, compare each time. */
static int worker_task(void *arg)
{
	struct worker *w = arg;
	struct hello *h = w->h;
	unsigned int id = w->id;
	uint32_t bs = sio_nvme_ns_get_sector_size(h->ns);
	size_t len = (size_t)bs * BLOCKS_PER_TASK;
	uint64_t lba = (uint64_t)id * BLOCKS_PER_TASK;
	uint8_t *wbuf = sio_dma_malloc(len, 4096), *rbuf = sio_dma_malloc(len, 4096);
	struct sio_nvme_cpl cpl = {0};
	struct iovec iov[2];
	int rc = 0;

	if (!wbuf || !rbuf) {
		rc = fail("buffers", -ENOMEM);
		goto out;
	}
	for (size_t i = 0; i < len; i++)
		wbuf[i] = (uint8_t)(i * 7 + id * 31 + (i >> 9));
	rc = sio_nvme_ns_write_await(h->ns, h->qp, wbuf, lba, BLOCKS_PER_TASK, 0, &cpl);
	if (rc != 0) {
		rc = io_fail(id, "write", rc, &cpl);
		goto out;
	}
	memset(rbuf, 0, len);
	rc = sio_nvme_ns_read_await(h->ns, h->qp, rbuf, lba, BLOCKS_PER_TASK, 0, &cpl);
	rc = rc ? io_fail(id, "read", rc, &cpl) : verify(id, "read", wbuf, rbuf, len);
	if (rc != 0)
		goto out;
	/* The same blocks scattered: the first block, then the rest, in one command. */
	memset(rbuf, 0, len);
	iov[0] = (struct iovec){.iov_base = rbuf, .iov_len = bs};
	iov[1] = (struct iovec){.iov_base = rbuf + bs, .iov_len = len - bs};
	rc = sio_nvme_ns_readv_await(h->ns, h->qp, iov, 2, lba, BLOCKS_PER_TASK, 0, &cpl);
	rc = rc ? io_fail(id, "readv", rc, &cpl) : verify(id, "readv", wbuf, rbuf, len);
out:
	sio_dma_free(wbuf);
	sio_dma_free(rbuf);
	return rc;
}

static int run_tasks(struct hello *h)
{
	struct worker workers[TASKS];
	struct sio_future futures[TASKS], *fps[TASKS];
	unsigned int started = 0;
	int rc = 0;

	for (; started < TASKS; started++) {
		workers[started] = (struct worker){h, started};
		fps[started] = &futures[started];
		rc = sio_task_spawn(NULL, worker_task, &workers[started], &futures[started]);
		if (rc != 0) {
			fail("task spawn", rc);
			break;
		}
	}
	if (started > 0) {
		int wrc = sio_await_all(fps, started); /* await only what started */

		rc = rc ? rc : wrc;
	}
	if (rc == 0)
		printf("%d tasks wrote %d blocks each (LBA 0-%d), read them back into one buffer "
		       "and into 2 iovecs: identical\n", TASKS, BLOCKS_PER_TASK,
		       TASKS * BLOCKS_PER_TASK - 1);
	return rc;
}

/*
 * sio_nvme_ns_read() checks the range itself and refuses (-EINVAL) without
 * sending anything; a raw Read goes to the controller as it is, and its
 * answer comes back whole in the completion entry.
 */
static int read_past_end(struct hello *h)
{
	uint64_t nsze = sio_nvme_ns_get_num_sectors(h->ns);
	uint32_t bs = sio_nvme_ns_get_sector_size(h->ns);
	struct sio_nvme_cmd cmd = {.opc = SIO_NVME_OPC_READ, .nsid = 1};
	struct sio_nvme_cpl cpl = {0};
	void *buf = sio_dma_malloc(bs, 4096);
	int rc;

	if (!buf)
		return fail("buffer", -ENOMEM);
	cmd.cdw10 = (uint32_t)nsze; /* SLBA: the first block after the end */
	cmd.cdw11 = (uint32_t)(nsze >> 32);
	cmd.cdw12 = 0; /* NLB is 0-based: one block */
	rc = sio_nvme_ctrlr_io_raw_await(h->ctrlr, h->qp, &cmd, buf, bs, &cpl);
	sio_dma_free(buf);
	if (!sio_nvme_cpl_is_error(&cpl)) {
		fprintf(stderr, "hello_nvme: read of LBA %" PRIu64 " past the end: rc %d, no error "
			"status from the controller\n", nsze, rc);
		return rc ? rc : -EPROTO;
	}
	printf("read of LBA %" PRIu64 " (past the end): rc %d (%s), NVMe status SCT 0x%x "
	       "SC 0x%02x: %s\n", nsze, rc, strerror(-rc), cpl.status.sct, cpl.status.sc,
	       sio_nvme_cmd_status_string(cmd.opc, cpl.status.sct, cpl.status.sc));
	return 0;
}

static int host_part(struct hello *h)
{
	int rc = sio_nvme_ctrlr_connect_await(&h->trid, NULL, &h->ctrlr);

	if (rc != 0)
		return fail("connect", rc);
	print_identity(h);
	h->ns = sio_nvme_ctrlr_get_ns(h->ctrlr, 1);
	if (!h->ns || !sio_nvme_ns_is_active(h->ns) ||
	    sio_nvme_ns_get_num_sectors(h->ns) < TASKS * BLOCKS_PER_TASK)
		return fail("namespace 1 (must exist, 32 blocks at least)", -ENODEV);
	rc = sio_nvme_ctrlr_alloc_io_qpair_await(h->ctrlr, NULL, &h->qp);
	if (rc != 0)
		return fail("I/O queue pair", rc);
	rc = run_tasks(h);
	if (rc == 0)
		rc = read_past_end(h);
	return rc;
}

/* Cleanup errors are printed; the program's result stays the first error. */
static int also_fail(int *rc, const char *what, int r)
{
	if (r != 0 && *rc == 0)
		*rc = fail(what, r);
	else if (r != 0)
		fail(what, r);
	return r;
}

static int hello_main(void *arg)
{
	struct hello *h = arg;
	int rc = h->own_target ? start_target(h) : 0;

	if (rc == 0)
		rc = host_part(h);
	/* Release in reverse order, on every path. */
	if (h->qp)
		sio_nvme_qpair_free(h->qp);
	if (h->ctrlr && also_fail(&rc, "detach", sio_nvme_ctrlr_detach_await(h->ctrlr)) == 0)
		printf("detached\n");
	if (h->tgt)
		also_fail(&rc, "target destroy", sio_nvmf_tgt_destroy_await(h->tgt));
	if (h->have_bdev)
		also_fail(&rc, "malloc bdev delete", SIO_AWAIT_CALL(sio_bdev_malloc_delete, "Malloc0"));
	printf("hello_nvme: %s\n", rc == 0 ? "done" : "FAILED");
	sio_app_stop(rc);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hello_nvme [-r TRID]\n"
		"Connects to an NVMe-oF controller over NVMe/TCP, prints its identity and\n"
		"namespaces, writes, reads back and compares blocks 0-%d of namespace 1 from %d\n"
		"tasks, and shows the NVMe status of a read past the end of the namespace.\n"
		"\n"
		" (no -r)        self-contained: starts an NVMe-oF target in this process (a\n"
		"                16 MiB RAM bdev as namespace 1 of %s, TCP on\n"
		"                127.0.0.1, a free port) and connects to it; needs no setup\n"
		" -r, --transport TRID\n"
		"                connect to this target instead, an SPDK transport ID, e.g.\n"
		"                'trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420\n"
		"                 subnqn:nqn.2016-06.io.spdk:cnode1'\n"
		"                WARNING: overwrites those blocks of namespace 1\n"
		" -h, --help     this text\n",
		TASKS * BLOCKS_PER_TASK - 1, TASKS, HELLO_NQN);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"transport", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct hello h = {.own_target = true};
	struct sio_app_opts opts;
	char err[128];
	int ch;

	while ((ch = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (sio_nvme_transport_id_parse(&h.trid, optarg, err, sizeof(err)) != 0) {
				fprintf(stderr, "hello_nvme: -r: %s\n", err);
				return 2;
			}
			h.own_target = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	sio_app_opts_init(&opts, sizeof(opts));
	opts.name = "hello_nvme";
	opts.rpc_addr = NULL; /* a demo needs no RPC server */
	return sio_app_run(&opts, hello_main, &h) == 0 ? 0 : 1;
}
