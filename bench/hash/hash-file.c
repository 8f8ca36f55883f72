/*
 * hash-file.c: the SHA-256 of one file, printed as hex, the way berth
 * hashes an image. Built twice by run.sh: -DOLD_SHA256 with the
 * hand-written sha256.c berth had before (over an mmap of the file, as
 * image.c did), and without it on backend/util/hash.c (libcrypto's EVP,
 * the file read in pieces). Not part of berth.
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "util/util.h"

#ifdef OLD_SHA256
void sha256_hex(const void *, size_t, char[65]);
#endif

int
main(int argc, char **argv)
{
	char hex[129];
	int fd;

	if (argc != 2 || (fd = open(argv[1], O_RDONLY)) == -1) {
		fprintf(stderr, "usage: hash-file FILE\n");
		return 2;
	}
#ifdef OLD_SHA256
	{
		struct stat sb;
		void *m;

		if (fstat(fd, &sb) != 0 || sb.st_size == 0)
			return 1;
		m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd,
		         0);
		if (m == MAP_FAILED)
			return 1;
		madvise(m, (size_t)sb.st_size, MADV_SEQUENTIAL);
		sha256_hex(m, (size_t)sb.st_size, hex);
	}
#else
	{
		struct hash *h = hash_init(HASH_SHA256);

		if (hash_update_fd(h, fd) != 0)
			return 1;
		hash_final(h, hex);
	}
#endif
	printf("%s\n", hex);
	return 0;
}
