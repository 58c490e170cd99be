/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A judge we did not write: Wireshark's NVMe/TCP dissector (tshark) decodes
 * the PDUs our codec puts on the wire.
 *
 * tshark captures loopback traffic on port 4420 while this program plays
 * both ends of three real TCP connections, every PDU built by
 * nvme_tcp_pdu_build(), sent with one writev() and read back by the peer's
 * receive machine:
 *   1. digests on: ICReq, ICResp, CapsuleCmd (Fabrics Connect of I/O queue 1
 *      with its 1024 bytes of in-capsule data), CapsuleResp, CapsuleCmd (Read), C2HData,
 *      CapsuleResp, CapsuleCmd (Write), R2T, H2CData, CapsuleResp, H2CTermReq;
 *   2. the same exchange without digests;
 *   3. ICReq answered by a C2HTermReq (the controller refuses it).
 * The session order is a plausible one because the dissector pairs data and
 * responses with the command they belong to (by CID). Then tshark reads the
 * capture back with header and data digest verification on, and the test
 * checks, per connection and direction, that it decoded every PDU as
 * NVMe/TCP with the PDU type we sent, every digest as good, and reported no
 * malformed packet and no expert warning or error.
 *
 * Exit 77 only when tshark is missing or cannot capture on lo (no
 * permission, no such interface): the reason is printed.
 *
 * PDA stays 0 (no padding before data): Wireshark 4.0's dissector ignores
 * PDO when it locates data and sizes the data digest, so padded PDUs would
 * show as malformed and with bad data digests there (docs/nvme.md).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_nvme_tcp_util.h"

extern char **environ;

#define PORT 4420
#define SKIP 77

static char g_dir[] = "/tmp/sio-tshark-XXXXXX";
static char g_cap[256], g_err[256];
static int g_failures;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
			g_failures++;                                       \
		}                                                           \
	} while (0)

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static bool file_has(const char *path, const char *needle)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, needle) != NULL;
}

static void print_file(const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(f);
}

/* ------------------------------------------------------------------------ */
/* The capture                                                              */
/* ------------------------------------------------------------------------ */

static pid_t capture_start(void)
{
	char *argv[] = { "tshark", "-i", "lo", "-f", "tcp port 4420", "-w", g_cap,
			 "-a", "duration:120", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, g_err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = posix_spawnp(&pid, "tshark", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		printf("SKIP: cannot run tshark (%s); scripts/deps.sh installs it\n", strerror(rc));
		exit(SKIP);
	}
	/* dumpcap says "Capturing on 'Loopback: lo'" once the interface is open */
	for (int i = 0; i < 300; i++) {
		int status;

		if (file_has(g_err, "Capturing on"))
			break;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			printf("SKIP: tshark cannot capture on lo:\n");
			fflush(stdout);
			print_file(g_err);
			exit(SKIP);
		}
		if (i == 299) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			printf("SKIP: tshark did not start capturing within 30 s:\n");
			fflush(stdout);
			print_file(g_err);
			exit(SKIP);
		}
		sleep_ms(100);
	}
	/* the message comes as the capture starts; leave it a moment */
	sleep_ms(500);
	return pid;
}

static void capture_stop(pid_t pid)
{
	int status;

	/* let the last segments reach the capture before stopping it */
	sleep_ms(1000);
	kill(pid, SIGINT);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		sleep_ms(100);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* ------------------------------------------------------------------------ */
/* Both ends of a connection                                                */
/* ------------------------------------------------------------------------ */

struct conn {
	int host_fd, tgt_fd;
	int host_port;
	struct towner *host, *tgt;    /* receive machines of each end */
	struct nvme_tcp_params params;
	/* PDU types in send order, per direction */
	uint8_t h2c[32], c2h[32];
	int nh2c, nc2h;
};

static int listen_4420(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* another program may hold the port for a while: wait for it */
	for (int i = 0; bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0; i++) {
		if (errno != EADDRINUSE || i == 300)
			die("bind 127.0.0.1:4420");
		sleep_ms(100);
	}
	if (listen(fd, 4) != 0)
		die("listen");
	return fd;
}

static void conn_open(struct conn *c, int lfd, bool digests)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->host_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->host_fd < 0 || connect(c->host_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("connect");
	c->tgt_fd = accept(lfd, NULL, NULL);
	if (c->tgt_fd < 0)
		die("accept");
	setsockopt(c->host_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->tgt_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	getsockname(c->host_fd, (struct sockaddr *)&sa, &sl);
	c->host_port = ntohs(sa.sin_port);
	c->params.hdgst = c->params.ddgst = digests;
	c->params.max_icd = 8192;
	c->params.max_h2c_data = 131072;
	c->host = calloc(1, sizeof(*c->host));
	c->tgt = calloc(1, sizeof(*c->tgt));
	if (c->host == NULL || c->tgt == NULL)
		die("calloc");
	towner_init(c->host, NVME_TCP_ROLE_HOST, &c->params, 1);
	towner_init(c->tgt, NVME_TCP_ROLE_TARGET, &c->params, 2);
}

static void conn_close(struct conn *c)
{
	close(c->host_fd);
	close(c->tgt_fd);
	towner_fini(c->host);
	towner_fini(c->tgt);
	free(c->host);
	free(c->tgt);
}

static void write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("writev");
		}
		nvme_tcp_iov_advance(&iov, &n, (size_t)w);
	}
}

/*
 * Send @p from one end of @c and read it at the other through its receive
 * machine until that PDU is complete; check it arrived as sent.
 */
static void xfer(struct conn *c, bool from_host, const struct tpdu *p)
{
	struct towner *rx = from_host ? c->tgt : c->host;
	int wfd = from_host ? c->host_fd : c->tgt_fd, rfd = from_host ? c->tgt_fd : c->host_fd;
	bool ic = p->type == NVME_TCP_PDU_IC_REQ || p->type == NVME_TCP_PDU_IC_RESP;
	int before = rx->n, rc = 0;
	struct tpdu_tx x;

	if (tpdu_tx_build(&x, p, ic ? NULL : &c->params) != 0)
		die("tpdu_tx_build");
	write_all(wfd, x.iov, x.n);
	tpdu_tx_free(&x);
	if (from_host)
		c->h2c[c->nh2c++] = p->type;
	else
		c->c2h[c->nc2h++] = p->type;
	while (rx->n == before && rc == 0) {
		struct iovec iov[16];
		int n = nvme_tcp_rx_iov(&rx->rx, iov, 16);
		ssize_t r;

		if (n <= 0)
			break;
		r = readv(rfd, iov, n);
		if (r <= 0)
			die("readv");
		rc = nvme_tcp_rx_advance(&rx->rx, (size_t)r);
	}
	CHECK(rx->n == before + 1, "%s not received (rc %d)", nvme_tcp_pdu_type_name(p->type), rc);
	CHECK(rc == 0 || (rc == -ECONNABORTED && !ic && p->type <= NVME_TCP_PDU_C2H_TERM_REQ),
	      "receiving %s: rc %d", nvme_tcp_pdu_type_name(p->type), rc);
	if (rx->n == before + 1)
		CHECK(towner_check(rx, before, p), "%s differs", nvme_tcp_pdu_type_name(p->type));
}

/* A CapsuleCmd carrying @sqe, sent through the real init + build path. */
static void xfer_cmd(struct conn *c, const struct sio_nvme_cmd *sqe, uint32_t icd_len)
{
	struct tpdu_tx x = { 0 };
	struct towner *rx = c->tgt;
	uint8_t *data = calloc(1, icd_len ? icd_len : 1);
	struct iovec d = { data, icd_len };
	int before = rx->n, rc = 0;

	if (data == NULL)
		die("calloc");
	if (icd_len >= sizeof(struct sio_nvmf_connect_data)) {
		struct sio_nvmf_connect_data *cd = (void *)data;

		memset(cd->hostid, 0x5a, sizeof(cd->hostid));
		cd->cntlid = 0xffff;
		snprintf(cd->subnqn, sizeof(cd->subnqn), "nqn.2016-06.io.spdk:cnode1");
		snprintf(cd->hostnqn, sizeof(cd->hostnqn),
			 "nqn.2014-08.org.nvmexpress:uuid:5a5a5a5a-5a5a-5a5a-5a5a-5a5a5a5a5a5a");
	}
	nvme_tcp_pdu_capsule_cmd_init(&x.pdu, sqe);
	x.n = nvme_tcp_pdu_build(&x.pdu, &c->params, icd_len ? &d : NULL, icd_len ? 1 : 0, icd_len,
				 x.iov, 16);
	if (x.n < 0)
		die("nvme_tcp_pdu_build");
	write_all(c->host_fd, x.iov, x.n);
	c->h2c[c->nh2c++] = NVME_TCP_PDU_CAPSULE_CMD;
	while (rx->n == before && rc == 0) {
		uint8_t buf[2048];
		ssize_t r = read(c->tgt_fd, buf, sizeof(buf));

		if (r <= 0)
			die("read");
		rc = nvme_tcp_rx_feed(&rx->rx, buf, (size_t)r);
	}
	CHECK(rc == 0 && rx->n == before + 1, "CapsuleCmd not received (rc %d)", rc);
	if (rx->n == before + 1) {
		CHECK(memcmp(&rx->got[before].sqe, sqe, sizeof(*sqe)) == 0, "SQE differs");
		CHECK(rx->got[before].pdu.data_len == icd_len, "in-capsule data length");
		CHECK(icd_len == 0 || memcmp(rx->got[before].data, data, icd_len) == 0, "in-capsule data");
	}
	free(data);
}

static void sqe_rw(struct sio_nvme_cmd *sqe, uint8_t opc, uint16_t cid, uint32_t len)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opc = opc;
	sqe->cid = cid;
	sqe->nsid = 1;
	sqe->dptr.sgl1.unkeyed.length = len;
	sqe->dptr.sgl1.unkeyed.id = SIO_NVME_SGL_ID_TCP_TRANSPORT;
	sqe->cdw10 = 0;          /* SLBA */
	sqe->cdw12 = len / 512 - 1;
}

static void session_full(struct conn *c, bool digests)
{
	struct sio_nvme_cmd sqe;
	struct sio_nvmf_connect_cmd *cc = (void *)&sqe;
	uint8_t dgst = digests ? 3 : 0;

	xfer(c, true, &(struct tpdu){ .type = NVME_TCP_PDU_IC_REQ, .dgst = dgst, .limit = 0 });
	xfer(c, false, &(struct tpdu){ .type = NVME_TCP_PDU_IC_RESP, .dgst = dgst, .limit = 131072 });
	/* Connect an I/O queue (so Read and Write decode as I/O commands), data in the capsule */
	memset(&sqe, 0, sizeof(sqe));
	cc->opcode = SIO_NVME_OPC_FABRICS;
	cc->cid = 0;
	cc->fctype = SIO_NVMF_FCTYPE_CONNECT;
	cc->sgl1.unkeyed.length = sizeof(struct sio_nvmf_connect_data);
	cc->sgl1.unkeyed.id = SIO_NVME_SGL_ID_TCP_INCAPSULE;
	cc->recfmt = SIO_NVMF_CONNECT_RECFMT;
	cc->qid = 1;
	cc->sqsize = 127;
	cc->kato = 0;
	xfer_cmd(c, &sqe, sizeof(struct sio_nvmf_connect_data));
	xfer(c, false, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_RESP, .cccid = 0 });
	/* a 4 KiB read: data from the controller, then its response */
	sqe_rw(&sqe, SIO_NVME_OPC_READ, 1, 4096);
	xfer_cmd(c, &sqe, 0);
	xfer(c, false, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_DATA, .cccid = 1, .data_len = 4096,
				       .last = true, .seed = 3 });
	xfer(c, false, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_RESP, .cccid = 1 });
	/* an 8 KiB write: R2T, H2CData, response */
	sqe_rw(&sqe, SIO_NVME_OPC_WRITE, 2, 8192);
	xfer_cmd(c, &sqe, 0);
	xfer(c, false, &(struct tpdu){ .type = NVME_TCP_PDU_R2T, .cccid = 2, .ttag = 1, .len = 8192 });
	xfer(c, true, &(struct tpdu){ .type = NVME_TCP_PDU_H2C_DATA, .cccid = 2, .ttag = 1,
				      .data_len = 8192, .last = true, .seed = 4 });
	xfer(c, false, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_RESP, .cccid = 2 });
	/* the host ends the connection */
	xfer(c, true, &(struct tpdu){ .type = NVME_TCP_PDU_H2C_TERM_REQ,
				      .fes = NVME_TCP_FES_PDU_SEQUENCE_ERROR, .quote_len = 24 });
}

static void session_refused(struct conn *c)
{
	xfer(c, true, &(struct tpdu){ .type = NVME_TCP_PDU_IC_REQ, .pda = 0, .limit = 0 });
	xfer(c, false, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_TERM_REQ,
				       .fes = NVME_TCP_FES_UNSUPPORTED_PARAM, .fei = 8,
				       .quote_len = 128 });
}

/* ------------------------------------------------------------------------ */
/* What tshark saw                                                          */
/* ------------------------------------------------------------------------ */

/* Split @s at @sep in place; return the pieces (at most @max). */
static int split(char *s, char sep, char **out, int max)
{
	int n = 0;

	out[n++] = s;
	for (char *p = s; *p && n < max; p++) {
		if (*p == sep) {
			*p = 0;
			out[n++] = p + 1;
		}
	}
	return n;
}

static void judge(const struct conn *c, const char *name, bool digests)
{
	char cmd[1024], line[8192];
	uint8_t seen_h2c[64], seen_c2h[64];
	int nh = 0, nc = 0, frames = 0;
	FILE *f;

	/* one line per frame of this connection; several PDUs of a frame aggregate with ',' */
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -d tcp.port==%d,nvme-tcp -o nvme-tcp.check_hdgst:TRUE "
		 "-o nvme-tcp.check_ddgst:TRUE -Y 'tcp.port==%d' -T fields -E separator=/t "
		 "-E occurrence=a -E aggregator=, -e frame.number -e tcp.srcport -e nvme-tcp.type "
		 "-e nvme-tcp.hdgst.status -e nvme-tcp.ddgst.status -e _ws.malformed "
		 "-e _ws.expert.severity -e _ws.expert.message -e _ws.col.Protocol 2>&1",
		 g_cap, PORT, c->host_port);
	f = popen(cmd, "r");
	if (f == NULL)
		die("popen tshark");
	while (fgets(line, sizeof(line), f) != NULL) {
		char *col[16], *types[32], *hst[32], *dst[32], *sev[32];
		int ncol, nt, nhs, nds, nsev;
		bool h2c;

		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "Running as user", 15) == 0 || line[0] == 0)
			continue;
		ncol = split(line, '\t', col, 16);
		if (ncol < 9) {
			CHECK(false, "%s: unexpected tshark output: %s", name, line);
			continue;
		}
		frames++;
		h2c = atoi(col[1]) == c->host_port;
		CHECK(col[5][0] == 0, "%s frame %s: malformed (%s)", name, col[0], col[7]);
		/* severities: comment 1048576, chat 2097152, note 4194304, warn 6291456, error 8388608 */
		nsev = col[6][0] ? split(col[6], ',', sev, 32) : 0;
		for (int i = 0; i < nsev; i++)
			CHECK(strtol(sev[i], NULL, 0) < 6291456, "%s frame %s: expert %s: %s", name,
			      col[0], sev[i], col[7]);
		if (col[2][0] == 0)
			continue;   /* a bare TCP segment */
		CHECK(strstr(col[8], "NVMe") != NULL, "%s frame %s: protocol column '%s'", name,
		      col[0], col[8]);
		nt = split(col[2], ',', types, 32);
		nhs = col[3][0] ? split(col[3], ',', hst, 32) : 0;
		nds = col[4][0] ? split(col[4], ',', dst, 32) : 0;
		for (int i = 0; i < nt; i++) {
			if (h2c && nh < 64)
				seen_h2c[nh++] = (uint8_t)atoi(types[i]);
			else if (!h2c && nc < 64)
				seen_c2h[nc++] = (uint8_t)atoi(types[i]);
		}
		/* 1 is "Good" (proto_checksum_vals): every digest present was verified */
		for (int i = 0; i < nhs; i++)
			CHECK(atoi(hst[i]) == 1, "%s frame %s: header digest status %s", name, col[0], hst[i]);
		for (int i = 0; i < nds; i++)
			CHECK(atoi(dst[i]) == 1, "%s frame %s: data digest status %s", name, col[0], dst[i]);
		if (!digests)
			CHECK(nhs == 0 && nds == 0, "%s frame %s: digests decoded where none were sent",
			      name, col[0]);
	}
	pclose(f);
	printf("%s (client port %d): %d frames, %d host PDUs, %d controller PDUs decoded\n", name,
	       c->host_port, frames, nh, nc);
	CHECK(nh == c->nh2c, "%s: tshark decoded %d host PDUs, %d sent", name, nh, c->nh2c);
	CHECK(nc == c->nc2h, "%s: tshark decoded %d controller PDUs, %d sent", name, nc, c->nc2h);
	for (int i = 0; i < nh && i < c->nh2c; i++)
		CHECK(seen_h2c[i] == c->h2c[i], "%s: host PDU %d decoded as type %u, sent %s", name, i,
		      seen_h2c[i], nvme_tcp_pdu_type_name(c->h2c[i]));
	for (int i = 0; i < nc && i < c->nc2h; i++)
		CHECK(seen_c2h[i] == c->c2h[i], "%s: controller PDU %d decoded as type %u, sent %s", name,
		      i, seen_c2h[i], nvme_tcp_pdu_type_name(c->c2h[i]));
	if (digests) {
		/* at least the header digests of the session were verified */
		snprintf(cmd, sizeof(cmd),
			 "tshark -r %s -o nvme-tcp.check_hdgst:TRUE -o nvme-tcp.check_ddgst:TRUE "
			 "-Y 'tcp.port==%d && nvme-tcp.hdgst.status==1' 2>/dev/null | wc -l",
			 g_cap, c->host_port);
		f = popen(cmd, "r");
		if (f != NULL && fgets(line, sizeof(line), f) != NULL)
			CHECK(atoi(line) >= 8, "%s: only %d frames with a good header digest", name,
			      atoi(line));
		if (f != NULL)
			pclose(f);
	}
}

int main(int argc, char **argv)
{
	struct conn a, b, r;
	pid_t cap;
	int lfd;
	bool keep = argc > 1 && strcmp(argv[1], "--keep") == 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (mkdtemp(g_dir) == NULL)
		die("mkdtemp");
	snprintf(g_cap, sizeof(g_cap), "%s/nvme-tcp.pcapng", g_dir);
	snprintf(g_err, sizeof(g_err), "%s/tshark.err", g_dir);
	/* the capture file is written by dumpcap, which may drop privileges */
	chmod(g_dir, 0777);

	cap = capture_start();
	lfd = listen_4420();
	conn_open(&a, lfd, true);
	session_full(&a, true);
	conn_open(&b, lfd, false);
	session_full(&b, false);
	conn_open(&r, lfd, false);
	session_refused(&r);
	conn_close(&a);
	conn_close(&b);
	conn_close(&r);
	close(lfd);
	capture_stop(cap);

	judge(&a, "digests", true);
	judge(&b, "plain", false);
	judge(&r, "refused", false);
	if (g_failures != 0 || keep) {
		fprintf(stderr, "capture kept: %s\n", g_cap);
	} else {
		unlink(g_cap);
		unlink(g_err);
		rmdir(g_dir);
	}
	if (g_failures != 0) {
		fprintf(stderr, "%d checks failed\n", g_failures);
		return 1;
	}
	printf("tshark decoded every PDU as sent, nothing malformed\n");
	return 0;
}
