/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PDU codec over a real loopback TCP connection (plain POSIX sockets,
 * non-blocking, one OS thread polling both ends): a host end and a target
 * end each send a long random stream of the PDUs of their direction with
 * writev() of what nvme_tcp_pdu_build() laid out (partial writes resumed with
 * nvme_tcp_iov_advance()), and each receives with readv() into the regions
 * nvme_tcp_rx_iov() names. Small socket buffers force partial reads and
 * writes everywhere. One end reads in exact mode, the other through a
 * staging buffer; every PDU's fields and data are checked as it completes.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_nvme_tcp_util.h"

struct end {
	const char *name;
	int fd;
	/* sending */
	struct tpdu *out;
	int nout, sent;
	struct tpdu_tx tx;
	bool tx_busy;
	struct iovec *wiov;
	int wcnt;
	struct nvme_tcp_params txp;
	/* receiving */
	struct towner *o;
	const struct tpdu *expect;
	int nexpect, checked;
	uint8_t *stage;
	int rx_rc;
	size_t rx_bytes, tx_bytes;
	unsigned long reads, writes;
};

/* Random stream of @n PDUs from @role's side, IC first, TermReq last. */
static struct tpdu *make_stream(enum nvme_tcp_role role, int n, unsigned seed,
				const struct nvme_tcp_params *peer_rx, uint8_t pda, uint8_t dgst)
{
	struct tpdu *p = calloc((size_t)n, sizeof(*p));

	assert_non_null(p);
	for (int i = 0; i < n; i++) {
		unsigned r = trand(&seed);
		struct tpdu *t = &p[i];

		t->seed = (uint8_t)trand(&seed);
		t->cccid = (uint16_t)trand(&seed);
		t->ttag = (uint16_t)trand(&seed);
		t->off = trand(&seed) * 512u;
		if (i == 0) {
			t->type = role == NVME_TCP_ROLE_HOST ? NVME_TCP_PDU_IC_REQ : NVME_TCP_PDU_IC_RESP;
			t->pda = pda;
			t->dgst = dgst;
			t->limit = role == NVME_TCP_ROLE_HOST ? 3 : 131072;
		} else if (i == n - 1) {
			t->type = role == NVME_TCP_ROLE_HOST ? NVME_TCP_PDU_H2C_TERM_REQ :
							       NVME_TCP_PDU_C2H_TERM_REQ;
			t->fes = NVME_TCP_FES_PDU_SEQUENCE_ERROR;
			t->quote_len = r % 129;
		} else if (role == NVME_TCP_ROLE_HOST) {
			switch (r % 3) {
			case 0:
				t->type = NVME_TCP_PDU_CAPSULE_CMD;
				break;
			case 1:
				t->type = NVME_TCP_PDU_CAPSULE_CMD;
				t->data_len = 1 + trand(&seed) % peer_rx->max_icd;
				break;
			default:
				t->type = NVME_TCP_PDU_H2C_DATA;
				t->data_len = 1 + (trand(&seed) << 3 | (r & 7)) % peer_rx->max_h2c_data;
				t->last = r & 8;
				break;
			}
		} else {
			switch (r % 4) {
			case 0:
				t->type = NVME_TCP_PDU_CAPSULE_RESP;
				break;
			case 1:
				t->type = NVME_TCP_PDU_R2T;
				t->len = 1 + trand(&seed);
				break;
			default:
				t->type = NVME_TCP_PDU_C2H_DATA;
				/* mostly 4 KiB multiples, sometimes odd, now and then 200 KiB */
				t->data_len = r % 16 == 2 ? 200000 :
					      r % 4 == 2 ? 1 + trand(&seed) % 9000 :
					      4096u * (1 + trand(&seed) % 32);
				t->last = r & 16;
				t->success = r & 32;
				break;
			}
		}
	}
	return p;
}

/* The owner's pdu_done, wrapped: check each PDU as it completes, keep no history. */
static int lb_done(void *ctx, const struct nvme_tcp_rx_pdu *pdu, int status)
{
	struct end *e = ctx;
	int rc = towner_done(e->o, pdu, status);

	if (rc < 0)
		return rc;
	if (e->checked >= e->nexpect || !towner_check(e->o, 0, &e->expect[e->checked]))
		return -EBADMSG;
	e->checked++;
	towner_fini(e->o);
	memset(&e->o->got[0], 0, sizeof(e->o->got[0]));
	e->o->n = 0;
	return 0;
}

static int lb_data(void *ctx, const struct nvme_tcp_rx_pdu *pdu, const struct iovec **iov,
		   int *iovcnt)
{
	struct end *e = ctx;

	return towner_data(e->o, pdu, iov, iovcnt);
}

static const struct nvme_tcp_rx_ops g_lb_ops = { .pdu_data = lb_data, .pdu_done = lb_done };

static void set_nonblock_small(int fd, int bufsz)
{
	int one = 1;

	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
	assert_int_equal(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz)), 0);
}

static void tcp_pair(int *a, int *b, int bufsz)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &sl), 0);
	*a = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*a >= 0);
	/* small buffers must be set before the connection exists to shape the window */
	set_nonblock_small(*a, bufsz);
	assert_true(connect(*a, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS);
	*b = accept(l, NULL, NULL);
	assert_true(*b >= 0);
	set_nonblock_small(*b, bufsz);
	close(l);
}

/* Send as much as the socket takes. */
static void end_send(struct end *e)
{
	while (e->sent < e->nout || e->tx_busy) {
		ssize_t w;

		if (!e->tx_busy) {
			const struct tpdu *p = &e->out[e->sent];

			assert_int_equal(tpdu_tx_build(&e->tx, p, e->sent == 0 ? NULL : &e->txp), 0);
			e->wiov = e->tx.iov;
			e->wcnt = e->tx.n;
			e->tx_busy = true;
		}
		w = writev(e->fd, e->wiov, e->wcnt);
		if (w < 0) {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			return;
		}
		e->writes++;
		e->tx_bytes += (size_t)w;
		if (nvme_tcp_iov_advance(&e->wiov, &e->wcnt, (size_t)w) == 0) {
			tpdu_tx_free(&e->tx);
			e->tx_busy = false;
			e->sent++;
		}
	}
}

/* Read what is there into the regions the machine names. */
static void end_recv(struct end *e)
{
	while (e->rx_rc == 0) {
		struct iovec iov[16];
		int n = nvme_tcp_rx_iov(&e->o->rx, iov, 16);
		ssize_t r;

		assert_true(n > 0);
		r = readv(e->fd, iov, n);
		if (r < 0) {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			return;
		}
		assert_true(r > 0);   /* the peer never closes before its TermReq */
		e->reads++;
		e->rx_bytes += (size_t)r;
		e->rx_rc = nvme_tcp_rx_advance(&e->o->rx, (size_t)r);
	}
}

static void run_pair(bool digests, bool host_staged, int count, unsigned seed, int bufsz)
{
	/* what each end asks of incoming data: HPDA 1 (8 bytes), CPDA 2 (12 bytes) */
	struct nvme_tcp_params host_rx = { .hdgst = digests, .ddgst = digests, .rx_pda = 1,
					   .tx_pda = 2 };
	struct nvme_tcp_params tgt_rx = { .hdgst = digests, .ddgst = digests, .rx_pda = 2,
					  .tx_pda = 1, .max_icd = 8192, .max_h2c_data = 131072 };
	struct end h = { .name = "host" }, t = { .name = "target" };
	uint8_t dgst = digests ? 3 : 0;

	tcp_pair(&h.fd, &t.fd, bufsz);
	h.out = make_stream(NVME_TCP_ROLE_HOST, count, seed, &tgt_rx, 1, dgst);
	t.out = make_stream(NVME_TCP_ROLE_TARGET, count, seed + 1, &host_rx, 2, dgst);
	h.nout = t.nout = count;
	h.txp = host_rx;
	t.txp = tgt_rx;
	h.expect = t.out;
	t.expect = h.out;
	h.nexpect = t.nexpect = count;
	h.o = malloc(sizeof(*h.o));
	t.o = malloc(sizeof(*t.o));
	assert_non_null(h.o);
	assert_non_null(t.o);
	towner_init(h.o, NVME_TCP_ROLE_HOST, &host_rx, seed * 3);
	towner_init(t.o, NVME_TCP_ROLE_TARGET, &tgt_rx, seed * 5);
	nvme_tcp_rx_init(&h.o->rx, NVME_TCP_ROLE_HOST, &g_lb_ops, &h);
	nvme_tcp_rx_init(&t.o->rx, NVME_TCP_ROLE_TARGET, &g_lb_ops, &t);
	/* the parameters take effect after each end's IC PDU (towner_done applies them) */
	h.stage = malloc(4096);
	t.stage = malloc(4096);
	assert_int_equal(nvme_tcp_rx_set_buf(host_staged ? &h.o->rx : &t.o->rx,
					     host_staged ? h.stage : t.stage, 4096, 0), 0);

	while (h.rx_rc == 0 || t.rx_rc == 0) {
		struct pollfd pfd[2] = {
			{ .fd = h.fd, .events = POLLIN | (h.sent < h.nout ? POLLOUT : 0) },
			{ .fd = t.fd, .events = POLLIN | (t.sent < t.nout ? POLLOUT : 0) },
		};

		assert_true(poll(pfd, 2, 10000) > 0);
		end_send(&h);
		end_send(&t);
		end_recv(&h);
		end_recv(&t);
	}
	print_message("loopback digests=%d host_staged=%d: host got %d PDUs (%zu B) in %lu reads, "
		      "target got %d PDUs (%zu B) in %lu reads\n", digests, host_staged, h.checked,
		      h.rx_bytes, h.reads, t.checked, t.rx_bytes, t.reads);
	assert_int_equal(h.rx_rc, -ECONNABORTED);
	assert_int_equal(t.rx_rc, -ECONNABORTED);
	assert_int_equal(h.checked, count);
	assert_int_equal(t.checked, count);
	assert_int_equal(h.rx_bytes, t.tx_bytes);
	assert_int_equal(t.rx_bytes, h.tx_bytes);
	close(h.fd);
	close(t.fd);
	towner_fini(h.o);
	towner_fini(t.o);
	free(h.o);
	free(t.o);
	free(h.out);
	free(t.out);
	free(h.stage);
	free(t.stage);
}

static void test_loopback_digests_host_staged(void **state)
{
	run_pair(true, true, 400, 11, 65536);
}

static void test_loopback_plain_target_staged(void **state)
{
	run_pair(false, false, 400, 23, 16384);
}

/* Larger socket buffers: many PDUs per read. */
static void test_loopback_big_buffers(void **state)
{
	run_pair(true, false, 400, 37, 1 << 20);
	run_pair(false, true, 400, 41, 1 << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_digests_host_staged),
		cmocka_unit_test(test_loopback_plain_target_staged),
		cmocka_unit_test(test_loopback_big_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
