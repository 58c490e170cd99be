/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The keyring: a list of named keys under one mutex. Lookups are rare
 * (controller set-up, authentication, reconfiguration), never on an I/O path,
 * so a list and a lock are enough. A key's text lives in its own allocation,
 * zeroed when the key is removed (not when the last reference goes: removal
 * is the user's "forget this secret"), freed with the last reference.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/keyring_internal.h"
#include "spdk_io/log.h"

struct sio_key {
	struct sio_key *next;     /* in g_keys while not removed */
	char *name;
	char *path;
	char *text;               /* the file's text; NULL once removed */
	size_t text_len;
	enum sio_key_format format;
	unsigned refcnt;          /* the keyring's own (while listed) plus holders' */
	bool removed;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sio_key *g_keys;

static struct sio_key *find_locked(const char *name)
{
	for (struct sio_key *k = g_keys; k != NULL; k = k->next) {
		if (strcmp(k->name, name) == 0)
			return k;
	}
	return NULL;
}

static void key_free(struct sio_key *k)
{
	if (k->text != NULL) {
		explicit_bzero(k->text, k->text_len);
		free(k->text);
	}
	free(k->name);
	free(k->path);
	free(k);
}

/* Zero and drop the material; called with g_lock held. */
static void key_wipe_locked(struct sio_key *k)
{
	if (k->text != NULL) {
		explicit_bzero(k->text, k->text_len);
		free(k->text);
		k->text = NULL;
	}
	k->text_len = 0;
	k->removed = true;
}

/*
 * Read the whole file into a NUL-terminated heap buffer after checking, on the
 * open descriptor (no race with a rename), that it is a regular file no one
 * but its owner may access.
 */
static int read_key_file(const char *name, const char *path, char **text, size_t *text_len,
			 char *msg, size_t msg_len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = -errno;
		keyring_set_msg(msg, msg_len,
				"key '%s': cannot open '%s': %s", name, path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		keyring_set_msg(msg, msg_len,
				"key '%s': cannot stat '%s': %s", name, path, strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		keyring_set_msg(msg, msg_len, "key '%s': '%s' is not a regular file", name, path);
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		rc = -EPERM;
		keyring_set_msg(msg, msg_len,
				"key '%s': invalid permissions 0%03o on '%s': group and others "
				"must have no access (chmod 0600)", name,
				(unsigned)(st.st_mode & 0777), path);
		goto out;
	}
	if (st.st_size > SIO_KEY_FILE_MAX) {
		rc = -EFBIG;
		keyring_set_msg(msg, msg_len, "key '%s': '%s' is larger than %d bytes", name, path,
				SIO_KEY_FILE_MAX);
		goto out;
	}
	buf = malloc(SIO_KEY_FILE_MAX + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		keyring_set_msg(msg, msg_len, "key '%s': out of memory", name);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, SIO_KEY_FILE_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			keyring_set_msg(msg, msg_len,
					"key '%s': reading '%s': %s", name, path, strerror(-rc));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > SIO_KEY_FILE_MAX) {
			rc = -EFBIG;
			keyring_set_msg(msg, msg_len,
					"key '%s': '%s' is larger than %d bytes", name, path,
					SIO_KEY_FILE_MAX);
			goto out;
		}
	}
	/* A file written by `echo` or an editor ends with a newline. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
			 buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	*text = buf;
	*text_len = n;
	buf = NULL;
	rc = 0;
out:
	if (buf != NULL) {
		explicit_bzero(buf, SIO_KEY_FILE_MAX + 1);
		free(buf);
	}
	close(fd);
	return rc;
}

static int check_format(const char *name, const char *text, size_t len,
			enum sio_key_format *format, char *msg, size_t msg_len)
{
	struct sio_key_secret s;
	char why[160];
	int rc;

	if (len >= 13 && memcmp(text, "NVMeTLSkey-1:", 13) == 0) {
		rc = sio_key_decode_tls_psk(text, len, &s, why, sizeof(why));
		*format = SIO_KEY_FORMAT_TLS_PSK;
	} else if (len >= 7 && memcmp(text, "DHHC-1:", 7) == 0) {
		rc = sio_key_decode_dhchap(text, len, &s, why, sizeof(why));
		*format = SIO_KEY_FORMAT_DHCHAP;
	} else {
		rc = -EINVAL;
		snprintf(why, sizeof(why), "unknown key format: expected a TLS PSK "
			 "('NVMeTLSkey-1:HH:...:') or a DH-HMAC-CHAP secret ('DHHC-1:HH:...:')");
	}
	sio_key_secret_clear(&s);
	if (rc != 0)
		keyring_set_msg(msg, msg_len, "key '%s': %s", name, why);
	return rc;
}

int sio_keyring_file_add_key(const char *name, const char *path, char *msg, size_t msg_len)
{
	struct sio_key *k = NULL, **pp;
	char local[256];
	size_t name_len;
	int rc;

	if (msg == NULL || msg_len == 0) {
		msg = local;
		msg_len = sizeof(local);
	}
	msg[0] = '\0';
	if (name == NULL || path == NULL) {
		keyring_set_msg(msg, msg_len, "key name and path are required");
		return -EINVAL;
	}
	name_len = strlen(name);
	if (name_len == 0 || name_len > SIO_KEY_NAME_MAX) {
		keyring_set_msg(msg, msg_len, "key name must be 1..%d bytes", SIO_KEY_NAME_MAX);
		return -EINVAL;
	}
	if (path[0] != '/') {
		keyring_set_msg(msg, msg_len, "key '%s': path '%s' must be absolute", name, path);
		return -EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL || (k->name = strdup(name)) == NULL || (k->path = strdup(path)) == NULL) {
		rc = -ENOMEM;
		keyring_set_msg(msg, msg_len, "key '%s': out of memory", name);
		goto fail;
	}
	rc = read_key_file(name, path, &k->text, &k->text_len, msg, msg_len);
	if (rc != 0)
		goto fail;
	rc = check_format(name, k->text, k->text_len, &k->format, msg, msg_len);
	if (rc != 0)
		goto fail;
	k->refcnt = 1;
	pthread_mutex_lock(&g_lock);
	if (find_locked(name) != NULL) {
		pthread_mutex_unlock(&g_lock);
		rc = -EEXIST;
		keyring_set_msg(msg, msg_len, "key '%s' already exists", name);
		goto fail;
	}
	/* At the tail: keyring_get_keys and save_config list keys in the order added. */
	for (pp = &g_keys; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = k;
	pthread_mutex_unlock(&g_lock);
	return 0;
fail:
	if (msg[0] != '\0')
		SIO_ERRLOG("%s\n", msg);
	if (k != NULL)
		key_free(k);
	return rc;
}

/* Unlink @k (found under g_lock) and drop the keyring's reference. */
static bool unlink_locked(struct sio_key *k)
{
	for (struct sio_key **pp = &g_keys; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == k) {
			*pp = k->next;
			k->next = NULL;
			break;
		}
	}
	key_wipe_locked(k);
	return --k->refcnt == 0;
}

int sio_keyring_file_remove_key(const char *name)
{
	struct sio_key *k;
	bool last;

	if (name == NULL)
		return -ENOENT;
	pthread_mutex_lock(&g_lock);
	k = find_locked(name);
	if (k == NULL) {
		pthread_mutex_unlock(&g_lock);
		return -ENOENT;
	}
	last = unlink_locked(k);
	pthread_mutex_unlock(&g_lock);
	if (last)
		key_free(k);
	return 0;
}

void sio_keyring_remove_all(void)
{
	pthread_mutex_lock(&g_lock);
	while (g_keys != NULL) {
		struct sio_key *k = g_keys;

		if (unlink_locked(k))
			key_free(k);
	}
	pthread_mutex_unlock(&g_lock);
}

struct sio_key *sio_keyring_get_key(const char *name)
{
	struct sio_key *k;

	if (name == NULL)
		return NULL;
	pthread_mutex_lock(&g_lock);
	k = find_locked(name);
	if (k != NULL)
		k->refcnt++;
	pthread_mutex_unlock(&g_lock);
	return k;
}

struct sio_key *sio_key_ref(struct sio_key *key)
{
	if (key == NULL)
		return NULL;
	pthread_mutex_lock(&g_lock);
	key->refcnt++;
	pthread_mutex_unlock(&g_lock);
	return key;
}

void sio_key_put(struct sio_key *key)
{
	bool last;

	if (key == NULL)
		return;
	pthread_mutex_lock(&g_lock);
	last = --key->refcnt == 0;
	pthread_mutex_unlock(&g_lock);
	if (last)
		key_free(key);
}

const char *sio_key_get_name(const struct sio_key *key)
{
	return key != NULL ? key->name : NULL;
}

enum sio_key_format sio_key_get_format(const struct sio_key *key)
{
	return key->format;
}

int sio_key_get_key(struct sio_key *key, void *buf, size_t len)
{
	int rc;

	if (key == NULL || buf == NULL)
		return -EINVAL;
	pthread_mutex_lock(&g_lock);
	if (key->removed) {
		rc = -ENOKEY;
	} else if (key->text_len > len) {
		rc = -ENOBUFS;
	} else {
		memcpy(buf, key->text, key->text_len);
		rc = (int)key->text_len;
	}
	pthread_mutex_unlock(&g_lock);
	return rc;
}

int sio_key_get_secret(struct sio_key *key, struct sio_key_secret *out)
{
	char text[SIO_KEY_FILE_MAX];
	int rc;

	if (key == NULL || out == NULL)
		return -EINVAL;
	rc = sio_key_get_key(key, text, sizeof(text));
	if (rc < 0)
		return rc;
	if (key->format == SIO_KEY_FORMAT_TLS_PSK)
		rc = sio_key_decode_tls_psk(text, (size_t)rc, out, NULL, 0);
	else
		rc = sio_key_decode_dhchap(text, (size_t)rc, out, NULL, 0);
	explicit_bzero(text, sizeof(text));
	return rc;
}

void keyring_foreach(keyring_visit_fn fn, void *ctx)
{
	pthread_mutex_lock(&g_lock);
	for (struct sio_key *k = g_keys; k != NULL; k = k->next)
		fn(k->name, k->path, k->refcnt, ctx);
	pthread_mutex_unlock(&g_lock);
}
