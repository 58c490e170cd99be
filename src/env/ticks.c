/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tick clock. The TSC is used when the CPU says it is invariant (constant
 * rate across P/C-states and synchronised between cores), because reading it
 * costs a few ns against ~20 ns for clock_gettime(). Its rate is calibrated
 * once against CLOCK_MONOTONIC. Elsewhere ticks are CLOCK_MONOTONIC ns.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
#define TICKS_HAVE_TSC 1
#else
#define TICKS_HAVE_TSC 0
#endif

#include "spdk_io/env.h"

enum ticks_source {
	TICKS_UNSET = 0, /* not decided yet: the first caller calibrates */
	TICKS_TSC = 1,   /* invariant TSC, g_ticks_hz calibrated */
	TICKS_NS = 2,    /* CLOCK_MONOTONIC nanoseconds, g_ticks_hz = 1e9 */
};

#define NS_PER_SEC 1000000000ull
/* Calibration window. Each end of the window is a (TSC, ns) pair read with the
 * clock call bracketed by two TSC reads, so its error is the bracket width
 * (~50 ns, retried when preemption widens it): over 2 ms that is ~2.5e-5, and
 * start-up stays short (the app's first-RPC-answer budget is 20 ms; a 20 ms
 * window alone used all of it). */
#define TICKS_CALIBRATE_NS 2000000ull
/* A bracket wider than this means we were interrupted mid-sample: retry. */
#define TICKS_SAMPLE_MAX_NS 2000ull

static atomic_int g_ticks_source;
static uint64_t g_ticks_hz;
static pthread_once_t g_ticks_once = PTHREAD_ONCE_INIT;

static uint64_t ticks_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

#if TICKS_HAVE_TSC
static bool ticks_tsc_invariant(void)
{
	unsigned int eax, ebx, ecx, edx;

	if ((unsigned int)__get_cpuid_max(0x80000000u, NULL) < 0x80000007u)
		return false;
	if (!__get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx))
		return false;
	return (edx & (1u << 8)) != 0; /* "Invariant TSC" */
}

/* One (TSC, ns) pair taken as close together as the machine allows. */
static void ticks_tsc_sample(uint64_t *tsc, uint64_t *ns)
{
	uint64_t t0 = __rdtsc(), n = ticks_mono_ns(), t1 = __rdtsc();
	uint64_t best = t1 - t0;

	*tsc = t0 + best / 2;
	*ns = n;
	/* Retry while the bracket is wide (~2 us at any sane TSC rate means we
	 * were interrupted between the reads). */
	for (int tries = 1; tries < 16 && best >= TICKS_SAMPLE_MAX_NS; tries++) {
		t0 = __rdtsc();
		n = ticks_mono_ns();
		t1 = __rdtsc();
		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + best / 2;
			*ns = n;
		}
	}
}

static uint64_t ticks_tsc_calibrate(void)
{
	uint64_t ns0, ns1, tsc0, tsc1;

	ticks_tsc_sample(&tsc0, &ns0);
	do {
		ticks_tsc_sample(&tsc1, &ns1);
	} while (ns1 - ns0 < TICKS_CALIBRATE_NS);
	return (uint64_t)((unsigned __int128)(tsc1 - tsc0) * NS_PER_SEC / (ns1 - ns0));
}
#endif

static void ticks_init(void)
{
	int source = TICKS_NS;

	g_ticks_hz = NS_PER_SEC;
#if TICKS_HAVE_TSC
	if (ticks_tsc_invariant()) {
		uint64_t hz = ticks_tsc_calibrate();

		/* A TSC under 1 MHz means a broken hypervisor; ns are safer. */
		if (hz >= 1000000) {
			g_ticks_hz = hz;
			source = TICKS_TSC;
		}
	}
#endif
	/* Release pairs with the acquire in ticks_source(): g_ticks_hz is
	 * written before anyone reads the source as decided. */
	atomic_store_explicit(&g_ticks_source, source, memory_order_release);
}

static inline int ticks_source(void)
{
	/* Acquire pairs with the release at the end of ticks_init(). */
	int s = atomic_load_explicit(&g_ticks_source, memory_order_acquire);

	if (__builtin_expect(s == TICKS_UNSET, 0)) {
		pthread_once(&g_ticks_once, ticks_init);
		s = atomic_load_explicit(&g_ticks_source, memory_order_acquire);
	}
	return s;
}

uint64_t sio_get_ticks(void)
{
#if TICKS_HAVE_TSC
	if (ticks_source() == TICKS_TSC)
		return __rdtsc();
#else
	(void)ticks_source();
#endif
	return ticks_mono_ns();
}

uint64_t sio_get_ticks_hz(void)
{
	(void)ticks_source();
	return g_ticks_hz;
}

bool sio_ticks_are_tsc(void)
{
	return ticks_source() == TICKS_TSC;
}

/* a * b / c without overflowing the intermediate product. */
static uint64_t ticks_muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	unsigned __int128 r = (unsigned __int128)a * b / c;

	return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

uint64_t sio_ticks_to_us(uint64_t ticks)
{
	return ticks_muldiv(ticks, 1000000, sio_get_ticks_hz());
}

uint64_t sio_us_to_ticks(uint64_t us)
{
	return ticks_muldiv(us, sio_get_ticks_hz(), 1000000);
}

uint64_t sio_ticks_to_ns(uint64_t ticks)
{
	return ticks_muldiv(ticks, NS_PER_SEC, sio_get_ticks_hz());
}

uint64_t sio_ns_to_ticks(uint64_t ns)
{
	return ticks_muldiv(ns, sio_get_ticks_hz(), NS_PER_SEC);
}
