/*
 * util.c: allocation that cannot fail, small string helpers and atomic file
 * writes. Every exported allocation either succeeds or ends the program
 * after restoring the terminal through the fatal hook.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

static util_fatal_hook fatal_hook;

void
util_set_fatal_hook(util_fatal_hook hook)
{
	fatal_hook = hook;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	if (fatal_hook != NULL)
		fatal_hook();
	fputs("berth: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		fatal("out of memory allocating %zu bytes", size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		fatal("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		fatal("allocation overflow: %zu x %zu", n, size);
	if (n * size == 0)
		n = size = 1;
	if ((p = realloc(old, n * size)) == NULL)
		fatal("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		fatal("out of memory formatting a string");
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/* Set *cause (when not NULL) to a new message; the caller frees it. */
void
util_set_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	*cause = xvasprintf(fmt, ap);
	va_end(ap);
}

/*
 * Read a whole file into a NUL-terminated buffer the caller frees. Returns
 * NULL and sets *cause on error.
 */
char *
util_read_file(const char *path, size_t *lenp, char **cause)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		util_set_cause(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xreallocarray(buf, cap, 1);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		util_set_cause(cause, "%s: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	if (buf == NULL)
		buf = xmalloc(1);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

/*
 * A name for a temporary file next to `path`, unique among processes (the
 * pid) and among the threads of this one (the counter).
 */
static char *
util_temp_name(const char *path, const char *what)
{
	static unsigned int counter;

	return xasprintf("%s.%s.%ld.%u", path, what, (long)getpid(),
	                 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
}

/* The folder a path lives in; the caller frees. */
char *
util_dirname(const char *path)
{
	char *dir = xstrdup(path), *slash;

	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (slash == dir)
			strcpy(dir, "/");
	} else
		strcpy(dir, ".");
	return dir;
}

/*
 * Write a file so that readers see either the old or the new contents:
 * temp file in the same directory, fsync, rename, fsync the directory. With
 * `backup` set, the old file is kept as PATH.bak first: linked under a
 * temporary name and renamed over the old backup, so two writers never
 * trip over each other's PATH.bak.
 */
int
util_write_file_atomic(const char *path, const void *data, size_t len,
                       mode_t mode, int backup, char **cause)
{
	char *tmp, *dir, *bak, *baktmp;
	const char *p = data;
	size_t off = 0;
	ssize_t n;
	int fd, dfd;

	tmp = util_temp_name(path, "tmp");
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1) {
		int err = errno;

		dir = util_dirname(path);
		util_set_cause(cause, "%s: cannot write in %s: %s", path, dir,
		               strerror(err));
		free(dir);
		free(tmp);
		return -1;
	}
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (backup && access(path, F_OK) == 0) {
		bak = xasprintf("%s.bak", path);
		baktmp = util_temp_name(path, "bak");
		if (link(path, baktmp) != 0 || rename(baktmp, bak) != 0) {
			util_set_cause(cause, "%s: %s", bak, strerror(errno));
			unlink(baktmp);
			free(baktmp);
			free(bak);
			unlink(tmp);
			free(tmp);
			return -1;
		}
		free(baktmp);
		free(bak);
	}
	if (rename(tmp, path) != 0)
		goto fail;
	dir = util_dirname(path);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
	free(tmp);
	return 0;

fail:
	util_set_cause(cause, "%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

/*
 * Lock folder `dir` for an edit of the files in it (flock on the folder,
 * whose inode, unlike a file's, survives the rename of an atomic write),
 * waiting up to `wait_ms`. Returns the descriptor that holds the lock
 * (close it to unlock); -1 and a cause when another process held it all
 * that time; -2 (no cause) when the folder cannot be locked here (not
 * readable, or a file system without flock, as some NFS mounts): the edit
 * then goes on unlocked rather than not at all.
 */
int
util_lock_dir(const char *dir, unsigned int wait_ms, char **cause)
{
	struct timespec ts = {0, 5 * 1000 * 1000};
	uint64_t until = util_mono_ms() + wait_ms;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -2;
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return -2;
		}
		if (util_mono_ms() >= until) {
			util_set_cause(cause,
			               "%s: another process is editing a file "
			               "in it (still after %u s)",
			               dir, wait_ms / 1000);
			close(fd);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return fd;
}

/* mkdir -p with the given mode for each created component. */
int
util_mkdir_p(const char *path, mode_t mode, char **cause)
{
	char *copy = xstrdup(path), *p;
	struct stat sb;

	for (p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(copy, mode) != 0 && errno != EEXIST) {
			util_set_cause(cause, "%s: %s", copy, strerror(errno));
			free(copy);
			return -1;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	if (stat(copy, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		util_set_cause(cause, "%s: not a directory", copy);
		free(copy);
		return -1;
	}
	free(copy);
	return 0;
}

uint64_t
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
util_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Length of a valid UTF-8 sequence at s (n bytes available), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls (U+0080..U+009F) are as dangerous as C0 ones. */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	return len;
}

/*
 * Copy untrusted text (from containers, daemons, files) into dst so that no
 * control character or escape sequence reaches the terminal: printable
 * UTF-8 is kept, tabs become a space, everything else is shown visibly like
 * cat -v (^[ for ESC, \xNN for invalid bytes). Returns the length written;
 * dst (size dstsize > 0) is always NUL-terminated.
 */
size_t
util_sanitize(char *dst, size_t dstsize, const char *src, size_t srclen)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, l;
	char tmp[8];
	int tl;

	while (i < srclen) {
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			tmp[0] = (char)s[i];
			tl = 1;
			l = 1;
		} else if (s[i] == '\t') {
			tmp[0] = ' ';
			tl = 1;
			l = 1;
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			tmp[0] = '^';
			tmp[1] = s[i] == 0x7f ? '?' : (char)(s[i] + '@');
			tl = 2;
			l = 1;
		} else if ((l = utf8_len(s + i, srclen - i)) != 0) {
			if (o + l >= dstsize)
				break;
			memcpy(dst + o, s + i, l);
			o += l;
			i += l;
			continue;
		} else {
			tl = snprintf(tmp, sizeof tmp, "\\x%02X", s[i]);
			l = 1;
		}
		if (o + (size_t)tl >= dstsize)
			break;
		memcpy(dst + o, tmp, (size_t)tl);
		o += (size_t)tl;
		i += l;
	}
	dst[o] = '\0';
	return o;
}

/* Sanitized copy of untrusted text; the caller frees it. */
char *
util_sanitize_dup(const char *src, size_t len)
{
	size_t size = len * 4 + 1;
	char *dst = xmalloc(size);

	util_sanitize(dst, size, src, len);
	return dst;
}

/* A message built from untrusted values, sanitized whole; caller frees. */
char *
util_sanitize_vasprintf(const char *fmt, va_list ap)
{
	char *raw = xvasprintf(fmt, ap), *s;

	s = util_sanitize_dup(raw, strlen(raw));
	free(raw);
	return s;
}

/*
 * Untrusted text with every byte that is not valid UTF-8 replaced by
 * U+FFFD, so a strict parser (jansson) accepts the rest of it. Returns
 * NULL when src is valid as it is, else a copy the caller frees, its
 * length in *outlen.
 */
char *
util_utf8_repair(const char *src, size_t len, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)src;
	char *out = NULL;
	size_t i = 0, o = 0, l;

	while (i < len) {
		l = utf8_len(s + i, len - i);
		if (l == 0 && out == NULL) {
			out = xmalloc(len * 3 + 1);
			memcpy(out, src, i);
			o = i;
		}
		if (l == 0) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
			continue;
		}
		if (out != NULL)
			memcpy(out + o, s + i, l);
		o += l;
		i += l;
	}
	if (out != NULL) {
		out[o] = '\0';
		*outlen = o;
	}
	return out;
}

const char *
util_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s == NULL ? path : s + 1;
}

int
util_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Edit distance, for "did you mean" suggestions. */
size_t
util_levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *row, prev, tmp, best;

	row = xcalloc(lb + 1, sizeof *row);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

/* The pid written in a pid file, 0 if none can be read. */
static long
util_pidfile_read(int fd)
{
	char buf[32];
	ssize_t len = pread(fd, buf, sizeof buf - 1, 0);

	buf[len > 0 ? len : 0] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * Take a pid-file lock: open path (0600), flock it exclusively without
 * waiting, write this process's pid. Returns the descriptor (the lock
 * lives as long as it is open), or -1 with *owner the holder's pid (-1
 * when the file does not say) or 0 when path cannot be opened (errno).
 */
int
util_pidlock(const char *path, long *owner)
{
	char buf[32];
	int fd, len;

	*owner = 0;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		*owner = util_pidfile_read(fd);
		if (*owner <= 0)
			*owner = -1;
		close(fd);
		return -1;
	}
	if (ftruncate(fd, 0) == 0) {
		len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
		if (pwrite(fd, buf, (size_t)len, 0) != len) {
			/* the pid is only a hint */
		}
	}
	return fd;
}

/*
 * Who holds the pid-file lock at path: its pid, -1 when it is held but
 * the file does not say by whom, 0 when nobody holds it.
 */
long
util_pidlock_owner(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long pid = 0;

	if (fd == -1)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
		pid = util_pidfile_read(fd);
		if (pid <= 0)
			pid = -1;
	}
	close(fd);
	return pid;
}

static const char util_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of len bytes (RFC 4648, padded); the caller frees it. */
char *
util_base64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = util_b64[v >> 18];
		*o++ = util_b64[(v >> 12) & 63];
		*o++ = util_b64[(v >> 6) & 63];
		*o++ = util_b64[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		*o++ = util_b64[v >> 18];
		*o++ = util_b64[(v >> 12) & 63];
		*o++ = i + 1 < len ? util_b64[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}
