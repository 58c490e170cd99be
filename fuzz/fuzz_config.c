/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON config loader (app_config_load: what sio_app_run() does with
 * opts.json_config_text / -c FILE before anything starts) on arbitrary text,
 * with every subsystem and method of the library registered (bdev and its
 * modules included). Properties: 0 with a config, or -EINVAL without one;
 * nothing leaks either way.
 */
#include <errno.h>
#include <string.h>

#include "app/app_internal.h"

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sio_log_set_level(SIO_LOG_DISABLED);
	if (app_rpc_registry_load() != 0 || app_subsystem_registry_load() != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct app_config *cfg = (struct app_config *)&cfg;
	char *text = malloc(size + 1);
	int rc;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = app_config_load(NULL, text, &cfg);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL, "load returned %d", rc);
	FUZZ_CHECK(rc == 0 || cfg == NULL, "failed load left a config");
	if (rc == 0)
		FUZZ_CHECK(cfg != NULL, "accepted text gave no config");
	app_config_free(cfg);
	free(text);
	return 0;
}
