/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Finding where one JSON-RPC request ends in a byte stream. JSON-RPC over a
 * stream socket has no length prefix: a request ends where its top-level
 * object closes. This scanner tracks bracket depth and strings only, resuming
 * where it stopped, so a request split over many reads is scanned once in
 * total (re-parsing the whole buffer with jansson on every read would be
 * quadratic for large requests). jansson then parses exactly the bytes found;
 * malformed content inside the brackets is its job to report.
 */
#include <string.h>

#include "app/app_internal.h"

void app_rpc_scan_reset(struct app_rpc_scan *s)
{
	memset(s, 0, sizeof(*s));
}

enum app_rpc_scan_result app_rpc_scan(struct app_rpc_scan *s, const char *buf, size_t len)
{
	while (s->pos < len) {
		char c = buf[s->pos++];

		if (!s->started) {
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			if (c != '{' && c != '[') {
				s->start = s->pos - 1;
				return APP_RPC_SCAN_BAD;
			}
			s->started = true;
			s->start = s->pos - 1;
			s->depth = 1;
			continue;
		}
		if (s->in_string) {
			if (s->escape)
				s->escape = false;
			else if (c == '\\')
				s->escape = true;
			else if (c == '"')
				s->in_string = false;
			continue;
		}
		switch (c) {
		case '"':
			s->in_string = true;
			break;
		case '{':
		case '[':
			s->depth++;
			break;
		case '}':
		case ']':
			if (--s->depth == 0)
				return APP_RPC_SCAN_VALUE;
			break;
		default:
			break;
		}
	}
	return s->started ? APP_RPC_SCAN_MORE : APP_RPC_SCAN_EMPTY;
}
