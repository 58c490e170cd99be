/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport IDs: SPDK's strings parsed (every key, any case, both
 * separators, IPv6 addresses with colons, PCI address forms), formatted and
 * parsed back equal, the constructors, the ordering, and every bad input
 * refused with a message naming the key.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "nvme/host/trid.h"
#include "spdk_io/nvme.h"

static void test_parse_tcp(void **state)
{
	struct sio_nvme_transport_id t;
	char err[128];

	assert_int_equal(sio_nvme_transport_id_parse(&t,
		"trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1",
		err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(t.trtype, SIO_NVME_TRANSPORT_TCP);
	assert_int_equal(t.adrfam, SIO_NVME_ADRFAM_IPV4);
	assert_string_equal(t.traddr, "127.0.0.1");
	assert_string_equal(t.trsvcid, "4420");
	assert_string_equal(t.subnqn, "nqn.2016-06.io.spdk:cnode1");
	assert_int_equal(t.priority, 0);

	/* Keys and enum values in any case, '=' as separator, extra blanks. */
	assert_int_equal(sio_nvme_transport_id_parse(&t,
		"  TrType=tcp\tADRFAM=ipv6   traddr=::1 TRSVCID:4421 priority:7 hostnqn:nqn.h:1 "
		"hostaddr:::1 hostsvcid:5000 ns:1 alt_traddr:10.0.0.1 ", err, sizeof(err)), 0);
	assert_int_equal(t.trtype, SIO_NVME_TRANSPORT_TCP);
	assert_int_equal(t.adrfam, SIO_NVME_ADRFAM_IPV6);
	assert_string_equal(t.traddr, "::1");
	assert_string_equal(t.trsvcid, "4421");
	assert_int_equal(t.priority, 7);
	assert_string_equal(t.hostnqn, "nqn.h:1");
	assert_string_equal(t.hostaddr, "::1");
	assert_string_equal(t.hostsvcid, "5000");

	/* RDMA and the others are parsed, though not implemented. */
	assert_int_equal(sio_nvme_transport_id_parse(&t,
		"trtype:RDMA adrfam:IB traddr:fe80::1 trsvcid:4420", NULL, 0), 0);
	assert_int_equal(t.trtype, SIO_NVME_TRANSPORT_RDMA);
	assert_int_equal(t.adrfam, SIO_NVME_ADRFAM_IB);
	assert_int_equal(sio_nvme_transport_id_parse(&t, "trtype:fc adrfam:fc", NULL, 0), 0);
	assert_int_equal(t.trtype, SIO_NVME_TRANSPORT_FC);
	assert_int_equal(t.adrfam, SIO_NVME_ADRFAM_FC);
	assert_int_equal(sio_nvme_transport_id_parse(&t, "trtype:VFIOUSER adrfam:INTRA_HOST", NULL, 0), 0);
	assert_int_equal(t.trtype, SIO_NVME_TRANSPORT_VFIOUSER);
	assert_int_equal(t.adrfam, SIO_NVME_ADRFAM_INTRA_HOST);
	/* An empty string is a valid, empty transport ID (as SPDK's parser). */
	assert_int_equal(sio_nvme_transport_id_parse(&t, "", NULL, 0), 0);
	assert_int_equal(t.trtype, SIO_NVME_TRANSPORT_NONE);
}

static void test_parse_pcie(void **state)
{
	struct sio_nvme_transport_id t;

	assert_int_equal(sio_nvme_transport_id_parse(&t, "trtype:PCIe traddr:0000:00:04.0", NULL, 0), 0);
	assert_int_equal(t.trtype, SIO_NVME_TRANSPORT_PCIE);
	assert_int_equal(t.adrfam, SIO_NVME_ADRFAM_NONE);
	assert_string_equal(t.traddr, "0000:00:04.0");
	assert_int_equal(sio_nvme_transport_id_parse(&t, "trtype:pcie traddr:5e:0A.1", NULL, 0), 0);
	assert_string_equal(t.traddr, "0000:5e:0a.1");
	assert_int_equal(sio_nvme_transport_id_parse(&t, "trtype:PCIE traddr:0001.81.00.0", NULL, 0), 0);
	assert_string_equal(t.traddr, "0001:81:00.0");
}

static void expect_bad(const char *str, const char *needle)
{
	struct sio_nvme_transport_id t;
	char err[160];

	assert_int_equal(sio_nvme_transport_id_parse(&t, str, err, sizeof(err)), -EINVAL);
	if (strstr(err, needle) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", str, err, needle);
}

static void test_parse_errors(void **state)
{
	char longv[400];

	expect_bad("trtype:XYZ", "trtype: unknown transport 'XYZ'");
	expect_bad("trtype:TCP adrfam:IPv5", "adrfam: unknown address family 'IPv5'");
	expect_bad("trtype:TCP traddr", "'traddr': expected key:value");
	expect_bad("trtype:TCP bogus:1", "bogus: unknown key");
	expect_bad("trtype:TCP traddr:", "traddr: empty value");
	expect_bad(":x", "empty key");
	expect_bad("trtype:TCP priority:-1", "priority:");
	expect_bad("trtype:TCP priority:12x", "priority:");
	/* A TCP/RDMA port is checked when parsed (the connect would only say -EINVAL). */
	expect_bad("trtype:TCP traddr:127.0.0.1 trsvcid:99999x", "trsvcid: '99999x' is not a port number");
	expect_bad("trsvcid:0 trtype:TCP", "trsvcid: '0' is not a port number");
	expect_bad("trtype:RDMA trsvcid:65536", "trsvcid: '65536' is not a port number");
	expect_bad("trtype:TCP trsvcid:4420 hostsvcid:x1", "hostsvcid: 'x1' is not a port number");
	expect_bad("trtype:PCIe traddr:00:20.0", "traddr: '00:20.0' is not a PCI address");
	expect_bad("trtype:PCIe traddr:zz:00.0", "traddr:");
	expect_bad("trtype:PCIe traddr:0x1:00:00.0", "traddr:");
	memset(longv, 'a', sizeof(longv));
	memcpy(longv, "trsvcid:", 8);
	longv[8 + 33] = '\0';
	expect_bad(longv, "trsvcid: value longer than 32 characters");
	memcpy(longv, "subnqn:", 7);
	memset(longv + 7, 'n', 224);
	longv[7 + 224] = '\0';
	expect_bad(longv, "subnqn: value longer than 223 characters");
	memcpy(longv, "traddr:", 7);
	memset(longv + 7, '1', 300);
	longv[7 + 300] = '\0';
	expect_bad(longv, "traddr: value longer than 256 characters");
	/* Without a buffer the message is logged; the result is the same. */
	assert_int_equal(sio_nvme_transport_id_parse(NULL, "trtype:TCP", NULL, 0), -EINVAL);
}

static void roundtrip(const char *str, const char *expect)
{
	struct sio_nvme_transport_id a, b;
	char buf[1024];
	int n;

	assert_int_equal(sio_nvme_transport_id_parse(&a, str, NULL, 0), 0);
	n = sio_nvme_transport_id_format(&a, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, expect);
	assert_int_equal(sio_nvme_transport_id_parse(&b, buf, NULL, 0), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(sio_nvme_transport_id_compare(&a, &b), 0);
}

static void test_format(void **state)
{
	struct sio_nvme_transport_id t;
	char small[10];

	roundtrip("trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.x:y",
		  "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.x:y");
	roundtrip("trtype:PCIe traddr:00:04.0", "trtype:PCIe traddr:0000:00:04.0");
	roundtrip("priority:3 hostsvcid:9 hostaddr:::2 hostnqn:nqn.a adrfam:IPv6 traddr:::1 "
		  "trtype:TCP trsvcid:1",
		  "trtype:TCP adrfam:IPv6 traddr:::1 trsvcid:1 hostnqn:nqn.a hostaddr:::2 "
		  "hostsvcid:9 priority:3");
	assert_int_equal(sio_nvme_transport_id_parse(&t, "trtype:TCP traddr:127.0.0.1", NULL, 0), 0);
	assert_int_equal(sio_nvme_transport_id_format(&t, small, sizeof(small)), -ENOSPC);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	t.trtype = SIO_NVME_TRANSPORT_NONE;
	assert_int_equal(sio_nvme_transport_id_format(&t, small, sizeof(small)), -EINVAL);
}

static void test_constructors_compare(void **state)
{
	struct sio_nvme_transport_id a, b;

	assert_int_equal(sio_nvme_transport_id_init_tcp(&a, "127.0.0.1", "4420", "nqn.s"), 0);
	assert_int_equal(sio_nvme_transport_id_parse(&b,
		"trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.s priority:2", NULL, 0), 0);
	assert_int_equal(sio_nvme_transport_id_compare(&a, &b), 0); /* priority ignored */
	b.trsvcid[3] = '1';
	assert_true(sio_nvme_transport_id_compare(&a, &b) < 0);
	assert_true(sio_nvme_transport_id_compare(&b, &a) > 0);
	assert_int_equal(sio_nvme_transport_id_init_tcp(&a, "::1", "4420", NULL), 0);
	assert_int_equal(a.adrfam, SIO_NVME_ADRFAM_IPV6);
	assert_string_equal(a.subnqn, "");
	assert_int_equal(sio_nvme_transport_id_init_tcp(&a, "", "4420", NULL), -EINVAL);
	assert_int_equal(sio_nvme_transport_id_init_tcp(&a, "1.2.3.4", NULL, NULL), -EINVAL);

	assert_int_equal(sio_nvme_transport_id_init_pcie(&a, "0000:00:04.0"), 0);
	assert_int_equal(sio_nvme_transport_id_init_pcie(&b, "00:04.0"), 0);
	assert_int_equal(sio_nvme_transport_id_compare(&a, &b), 0);
	assert_int_equal(sio_nvme_transport_id_init_pcie(&b, "0000:00:05.0"), 0);
	assert_true(sio_nvme_transport_id_compare(&a, &b) < 0);
	assert_int_equal(sio_nvme_transport_id_init_pcie(&b, "not-a-bdf"), -EINVAL);
	/* A TCP and a PCIe ID never compare equal. */
	assert_int_equal(sio_nvme_transport_id_init_tcp(&b, "0000:00:04.0", "1", NULL), 0);
	assert_true(sio_nvme_transport_id_compare(&a, &b) != 0);

	assert_string_equal(sio_nvme_transport_type_str(SIO_NVME_TRANSPORT_PCIE), "PCIe");
	assert_null(sio_nvme_transport_type_str((enum sio_nvme_transport_type)77));
	assert_string_equal(sio_nvme_adrfam_str(SIO_NVME_ADRFAM_IPV6), "IPv6");
	assert_null(sio_nvme_adrfam_str(SIO_NVME_ADRFAM_NONE));
}

/*
 * The priority rule that the ID parser and the nvme bdev module's
 * attach_controller RPC share (nvme/host/trid.h): a whole decimal number
 * from 0 to INT32_MAX, and the same message for both.
 */
static void test_parse_priority(void **state)
{
	static const char *const bad[] = { "", "-1", "12x", "abc", "2147483648", "1.5", " ", " 7",
					   "+7", NULL };
	char err[128];
	int32_t v = -5;

	(void)state;
	assert_int_equal(nvme_trid_parse_priority("7", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 7);
	assert_int_equal(nvme_trid_parse_priority("2147483647", &v, err, sizeof(err)), 0);
	assert_int_equal(v, INT32_MAX);
	assert_int_equal(nvme_trid_parse_priority("0", &v, NULL, 0), 0);
	assert_int_equal(v, 0);
	for (int i = 0; bad[i] != NULL; i++) {
		char want[96];

		v = 9;
		assert_int_equal(nvme_trid_parse_priority(bad[i], &v, err, sizeof(err)), -EINVAL);
		assert_int_equal(v, 9);
		snprintf(want, sizeof(want), "priority: '%s' is not a number from 0 to 2147483647",
			 bad[i]);
		assert_string_equal(err, want);
	}
	assert_int_equal(nvme_trid_parse_priority(NULL, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(nvme_trid_parse_priority("1", NULL, err, sizeof(err)), -EINVAL);
}

/* The port rule of trsvcid/hostsvcid, which the TCP connect applies again. */
static void test_port(void **state)
{
	static const char *const bad[] = { "", "0", "65536", "-1", "+1", " 1", "1 ", "0x10", NULL };
	int port = -5;

	(void)state;
	assert_int_equal(nvme_trid_port("1", &port), 0);
	assert_int_equal(port, 1);
	assert_int_equal(nvme_trid_port("65535", &port), 0);
	assert_int_equal(port, 65535);
	for (int i = 0; bad[i] != NULL; i++) {
		port = 9;
		assert_int_equal(nvme_trid_port(bad[i], &port), -EINVAL);
		assert_int_equal(port, 9);
	}
	assert_int_equal(nvme_trid_port(NULL, &port), -EINVAL);
	assert_int_equal(nvme_trid_port("1", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_tcp),
		cmocka_unit_test(test_parse_pcie),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_constructors_compare),
		cmocka_unit_test(test_parse_priority),
		cmocka_unit_test(test_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
