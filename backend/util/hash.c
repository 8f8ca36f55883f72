/*
 * hash.c: SHA-256 and SHA-512 from libcrypto's EVP API. berth names Docker
 * context directories after the SHA-256 of the context's name and checks
 * downloaded images against the distribution's sums; nothing here is
 * secret. The interface is incremental so a download is hashed as it
 * arrives instead of being read again.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/util.h"

struct hash {
	EVP_MD_CTX *ctx;
	enum hash_kind kind;
};

/* A new digest of kind; hash_final frees it. */
struct hash *
hash_init(enum hash_kind kind)
{
	struct hash *h = xcalloc(1, sizeof *h);
	const EVP_MD *md = kind == HASH_SHA512 ? EVP_sha512() : EVP_sha256();

	h->kind = kind;
	if ((h->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->ctx, md, NULL) != 1)
		fatal("libcrypto cannot start a %s digest",
		      kind == HASH_SHA512 ? "SHA-512" : "SHA-256");
	return h;
}

void
hash_update(struct hash *h, const void *data, size_t len)
{
	if (len > 0 && EVP_DigestUpdate(h->ctx, data, len) != 1)
		fatal("libcrypto digest update failed");
}

/*
 * Feed the digest what is left of fd, read to its end. -1 with errno set
 * on a read error.
 */
int
hash_update_fd(struct hash *h, int fd)
{
	static const size_t bufsz = 256 * 1024;
	char *buf = xmalloc(bufsz);
	ssize_t n;

#ifdef POSIX_FADV_SEQUENTIAL
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	for (;;) {
		n = read(fd, buf, bufsz);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		hash_update(h, buf, (size_t)n);
	}
	free(buf);
	return n == 0 ? 0 : -1;
}

/* The digest's length in hex digits: 64 or 128. */
size_t
hash_hex_len(enum hash_kind kind)
{
	return kind == HASH_SHA512 ? 128 : 64;
}

/*
 * The digest as lower-case hex plus a NUL in out (hash_hex_len + 1 bytes);
 * frees h.
 */
void
hash_final(struct hash *h, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	if (EVP_DigestFinal_ex(h->ctx, d, &len) != 1)
		fatal("libcrypto digest final failed");
	for (i = 0; i < len; i++) {
		out[i * 2] = hex[d[i] >> 4];
		out[i * 2 + 1] = hex[d[i] & 15];
	}
	out[len * 2] = '\0';
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

/* Drop a digest that will not be finished (NULL is fine). */
void
hash_free(struct hash *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

/* The digest of len bytes at data, in one go (see hash_final for out). */
void
hash_hex(enum hash_kind kind, const void *data, size_t len, char *out)
{
	struct hash *h = hash_init(kind);

	hash_update(h, data, len);
	hash_final(h, out);
}
