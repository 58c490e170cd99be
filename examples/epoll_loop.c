/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driving sio_threads from a plain epoll loop: each thread's interrupt fd goes
 * into one epoll set; when it fires, poll that thread. epoll_wait() blocks
 * with no timeout: the interrupt fd also fires for due timers, so an idle
 * process sleeps in the kernel. Scenario and checks: loop_common.h.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop_common.h"

int main(void)
{
	struct scenario s = { 0 };
	struct epoll_event ev, events[2];
	int ep, n;
	uint64_t wakeups = 0;

	printf("epoll_loop: two sio_threads on one epoll set\n");
	if (loop_scenario_start(&s) != 0)
		return 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return 1;
	for (int i = 0; i < 2; i++) {
		struct sio_thread *t = i == 0 ? s.front : s.back;
		int fd = sio_thread_get_interrupt_fd(t);

		if (fd < 0)
			return 1;
		ev.events = EPOLLIN;
		ev.data.ptr = t;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			return 1;
	}
	while (!loop_scenario_done(&s)) {
		n = epoll_wait(ep, events, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		wakeups++;
		for (int i = 0; i < n; i++)
			sio_thread_poll(events[i].data.ptr, 0);
	}
	printf("  %llu loop wake-ups in all\n", (unsigned long long)wakeups);
	close(ep);
	return loop_scenario_finish(&s);
}
