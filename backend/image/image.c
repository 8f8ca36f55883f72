/*
 * image.c: the base image a VM is built on. vm.image is an http(s) or
 * file:// URL or a path to a qcow2/raw cloud image; empty means Debian 12's
 * generic cloud image for the VM's architecture. URLs are downloaded with
 * berth's HTTP client (util/http.c) into <cache>/images/ as NAME.part and
 * renamed when complete and checked, so an interrupted download resumes
 * (HTTP Range) and a finished file is always whole. The check uses
 * vm.image_sha256, else the SHA256SUMS or SHA512SUMS file beside the
 * image when the server has one (Debian publishes only SHA512SUMS); the
 * bytes are hashed as they arrive, so a download is not read again. A
 * cached image is used without touching the network. Progress (bytes,
 * rate, ETA) goes to a callback: the CLI draws a bar, the engine sets
 * model_vm.operation.
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <stddef.h>
#include <curl/curl.h> /* the CURLE_* results of http_perform */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socket/socket.h"
#include "image/image.h"

struct image_dl {
	int fd;
	uint64_t offset; /* bytes already in the .part when this try began */
	uint64_t got;    /* bytes written in this try */
	uint64_t total;
	int restarted; /* the server ignored Range: file truncated */
	int write_errno;
	struct http_call *call;
	image_progress_cb cb; /* here on: kept across tries */
	void *arg;
	uint64_t t0, last;
	int check;           /* compute the checksum while downloading */
	enum hash_kind kind; /* of the checksum */
	struct hash *hash;   /* of every byte in the .part so far */
};

static const struct {
	const char *arch;
	const char *url;
} image_defaults[] = {
    {"x86_64", "https://cloud.debian.org/images/cloud/bookworm/latest/"
               "debian-12-generic-amd64.qcow2"},
    {"aarch64", "https://cloud.debian.org/images/cloud/bookworm/latest/"
                "debian-12-generic-arm64.qcow2"},
};

static int image_write(void *, const char *, size_t);
static void image_xferinfo(void *, uint64_t);
static void image_report(struct image_dl *, int);
static char *image_sums_lookup(const char *, char **);
static int image_try(const char *, const char *, struct image_dl *, long *,
                     char **);

/* The default image URL for an architecture (NULL or "" = the host's). */
const char *
image_default_url(const char *arch)
{
	struct utsname u;
	size_t i;

	if (arch == NULL || *arch == '\0') {
		if (uname(&u) != 0)
			return image_defaults[0].url;
		arch = u.machine;
	}
	if (strcmp(arch, "arm64") == 0)
		arch = "aarch64";
	if (strcmp(arch, "amd64") == 0)
		arch = "x86_64";
	for (i = 0; i < sizeof image_defaults / sizeof image_defaults[0]; i++) {
		if (strcmp(image_defaults[i].arch, arch) == 0)
			return image_defaults[i].url;
	}
	return NULL;
}

/*
 * The image a profile's VM is made from: vm.image, else (when it boots no
 * vm.kernel either) the default cloud image for its architecture; NULL
 * for a kernel-booted VM or an architecture with no default. The one
 * answer the CLI's create/start and the dashboard's c share.
 */
const char *
image_source(const struct profile *p)
{
	if (p->vm.image != NULL && *p->vm.image != '\0')
		return p->vm.image;
	if (p->vm.kernel != NULL && *p->vm.kernel != '\0')
		return NULL;
	return image_default_url(p->vm.arch);
}

/* <cache>/images (caller frees). */
char *
image_cache_dir(void)
{
	char *c = paths_cache_dir(), *d = xasprintf("%s/images", c);

	free(c);
	return d;
}

int
image_is_url(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/*
 * Where a URL's download lives: <cache>/images/HASH-NAME, NAME being the
 * URL's last path word made filename-safe, HASH 12 hex digits of the URL
 * (two URLs with one file name do not collide). Caller frees.
 */
char *
image_cache_path(const char *url)
{
	char hex[65], *dir, *name, *p, *r;
	const char *b, *e;

	hash_hex(HASH_SHA256, url, strlen(url), hex);
	hex[12] = '\0';
	e = url + strcspn(url, "?#");
	b = e;
	while (b > url && b[-1] != '/')
		b--;
	name = b < e ? xstrndup(b, (size_t)(e - b)) : xstrdup("image");
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' &&
		    *p != '_')
			*p = '_';
	}
	if (name[0] == '.')
		name[0] = '_';
	dir = image_cache_dir();
	r = xasprintf("%s/%s-%s", dir, hex, name);
	free(dir);
	free(name);
	return r;
}

/* Throttled progress: at most five reports a second, and the last one. */
static void
image_report(struct image_dl *d, int final)
{
	struct image_progress pr;
	uint64_t now = util_mono_ms(), el;

	if (d->cb == NULL || (!final && now - d->last < 200))
		return;
	d->last = now;
	el = now - d->t0;
	pr.done = d->offset + d->got;
	pr.total = d->total;
	pr.rate = el > 0 ? (double)d->got * 1000.0 / (double)el : 0;
	pr.eta_s = -1;
	if (pr.total > pr.done && pr.rate > 1)
		pr.eta_s = (int)((double)(pr.total - pr.done) / pr.rate + 0.5);
	else if (pr.total > 0 && pr.done >= pr.total)
		pr.eta_s = 0;
	d->cb(d->arg, &pr);
}

/*
 * Body callback: append to the .part (truncating when the server answered
 * a Range request with the whole file) and feed the checksum.
 */
static int
image_write(void *arg, const char *ptr, size_t len)
{
	struct image_dl *d = arg;
	size_t off = 0;
	ssize_t w;

	if (d->got == 0 && d->offset > 0 && !d->restarted &&
	    http_status(d->call) == 200) {
		if (ftruncate(d->fd, 0) != 0 ||
		    lseek(d->fd, 0, SEEK_SET) != 0) {
			d->write_errno = errno;
			return -1;
		}
		d->offset = 0;
		d->restarted = 1;
		if (d->hash != NULL) {
			hash_free(d->hash);
			d->hash = hash_init(d->kind);
		}
	}
	while (off < len) {
		w = write(d->fd, ptr + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			d->write_errno = errno;
			return -1;
		}
		off += (size_t)w;
	}
	if (d->hash != NULL)
		hash_update(d->hash, ptr, len);
	d->got += len;
	return 0;
}

static void
image_xferinfo(void *arg, uint64_t dltotal)
{
	struct image_dl *d = arg;

	if (dltotal > 0)
		d->total = d->offset + dltotal;
	image_report(d, 0);
}

/* The options every transfer from the web shares. */
static void
image_http_opts(struct http_opts *o, const char *url)
{
	const char *stall = getenv("BERTH_DOWNLOAD_STALL_S");
	long st = stall != NULL ? strtol(stall, NULL, 10) : 0;

	memset(o, 0, sizeof *o);
	o->url = url;
	o->flags = HTTP_WEB;
	o->connect_timeout_ms = 30000;
	o->stall_s = st > 0 ? st : 60L;
}

/*
 * Start the checksum of a try over the bytes the .part already holds, if
 * the checksum is wanted. Read once: the rest is hashed as it arrives.
 */
static int
image_hash_part(struct image_dl *d, const char *part, char **cause)
{
	int fd;

	hash_free(d->hash);
	d->hash = NULL;
	if (!d->check)
		return 0;
	d->hash = hash_init(d->kind);
	if (d->offset == 0)
		return 0;
	if ((fd = open(part, O_RDONLY | O_CLOEXEC)) == -1 ||
	    hash_update_fd(d->hash, fd) != 0) {
		util_set_cause(cause, "%s: %s", part, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* One transfer into part, resuming from its size. *code gets the HTTP
 * status. Returns the curl code (0 = done). */
static int
image_try(const char *url, const char *part, struct image_dl *d, long *code,
          char **cause)
{
	struct http_opts o;
	struct stat sb;
	int rc;

	memset(d, 0, offsetof(struct image_dl, cb));
	d->fd = open(part, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (d->fd == -1) {
		util_set_cause(cause, "%s: %s", part, strerror(errno));
		return -1;
	}
	if (fstat(d->fd, &sb) == 0)
		d->offset = (uint64_t)sb.st_size;
	if (image_hash_part(d, part, cause) != 0) {
		close(d->fd);
		d->fd = -1;
		return -1;
	}
	d->t0 = d->last = util_mono_ms();
	image_http_opts(&o, url);
	o.data = image_write;
	o.progress = image_xferinfo;
	o.arg = d;
	o.resume_from = d->offset;
	d->call = http_new(&o);
	rc = http_perform(d->call);
	*code = http_status(d->call);
	image_report(d, 1);
	if (close(d->fd) != 0 && rc == CURLE_OK) {
		d->write_errno = errno;
		rc = CURLE_WRITE_ERROR;
	}
	d->fd = -1;
	if (rc != CURLE_OK) {
		if (d->write_errno != 0)
			util_set_cause(cause, "writing %s: %s", part,
			               strerror(d->write_errno));
		else if (rc == CURLE_HTTP_RETURNED_ERROR)
			util_set_cause(cause, "%s: HTTP %ld", url, *code);
		else
			util_set_cause(cause, "%s: %s", url,
			               http_strerror(d->call, rc));
	}
	http_free(d->call);
	d->call = NULL;
	return rc;
}

/*
 * The distribution's checksum for url from one SUMS file in the same
 * directory (hexlen 64: SHA256SUMS, 128: SHA512SUMS), "HEX  NAME" or
 * "HEX *NAME" lines. Returns the hex digest (caller frees) or NULL with
 * *why saying why there is none.
 */
static char *
image_sums_fetch(const char *url, const char *file, size_t hexlen, char **why)
{
	const char *slash = strrchr(url, '/'), *name;
	struct http_opts o;
	struct http_call *c;
	char *sums, *body, *line, *save = NULL, *r = NULL;
	int rc;

	if (slash == NULL || slash[1] == '\0') {
		*why = xstrdup("no file name in the URL");
		return NULL;
	}
	name = slash + 1;
	sums = xasprintf("%.*s%s", (int)(slash + 1 - url), url, file);
	image_http_opts(&o, sums);
	o.timeout_ms = 60000;
	o.max_body = 1U << 20; /* a SUMS file is small; refuse anything else */
	c = http_new(&o);
	rc = http_perform(c);
	body = http_take_body(c, NULL);
	http_free(c);
	if (rc != CURLE_OK) {
		*why = xasprintf("no checksum: %s: %s", sums,
		                 http_strerror(NULL, rc));
		free(sums);
		free(body);
		return NULL;
	}
	for (line = strtok_r(body, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t h = strspn(line, "0123456789abcdefABCDEF");
		const char *f = line + h;

		if (h != hexlen || (*f != ' ' && *f != '\t'))
			continue;
		f += strspn(f, " \t*");
		if (strcmp(f, name) == 0) {
			r = xstrndup(line, hexlen);
			break;
		}
	}
	if (r == NULL)
		*why =
		    xasprintf("no checksum: %s does not list %s", sums, name);
	free(sums);
	free(body);
	return r;
}

/*
 * The distribution's checksum for url: SHA256SUMS beside it, else
 * SHA512SUMS (all Debian publishes for its cloud images).
 */
static char *
image_sums_lookup(const char *url, char **why)
{
	char *r, *why512 = NULL;

	if ((r = image_sums_fetch(url, "SHA256SUMS", 64, why)) != NULL)
		return r;
	if ((r = image_sums_fetch(url, "SHA512SUMS", 128, &why512)) != NULL) {
		free(*why);
		*why = NULL;
		return r;
	}
	free(why512);
	return NULL;
}

/* SHA-256 of a whole file as hex. */
int
image_file_sha256(const char *path, char out[65], char **cause)
{
	struct hash *h;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		util_set_cause(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	h = hash_init(HASH_SHA256);
	if (hash_update_fd(h, fd) != 0) {
		util_set_cause(cause, "%s: %s", path, strerror(errno));
		hash_free(h);
		close(fd);
		return -1;
	}
	close(fd);
	hash_final(h, out);
	return 0;
}

/*
 * Download url to dest: into dest.part (resumed when it exists), checked
 * against sha256 (hex, NULL = unchecked) and renamed. A transfer cut
 * short keeps the .part for the next try; a write error (disk full) or a
 * checksum mismatch deletes it and says so.
 */
int
image_download(const char *url, const char *dest, const char *sha256,
               image_progress_cb cb, void *arg, char **cause)
{
	struct image_dl d;
	char *part = xasprintf("%s.part", dest), *dir, *sl, hex[129];
	size_t hexlen = sha256 != NULL ? strlen(sha256) : 0;
	long code;
	int rc, tries;

	dir = xstrdup(dest);
	if ((sl = strrchr(dir, '/')) != NULL) {
		*sl = '\0';
		if (util_mkdir_p(dir, 0755, cause) != 0) {
			free(dir);
			free(part);
			return -1;
		}
	}
	free(dir);
	d.cb = cb;
	d.arg = arg;
	d.check = sha256 != NULL && *sha256 != '\0';
	d.kind = hexlen == 128 ? HASH_SHA512 : HASH_SHA256;
	d.hash = NULL;
	for (tries = 0;; tries++) {
		char *why = NULL;

		rc = image_try(url, part, &d, &code, &why);
		if (rc == 0) {
			free(why);
			break;
		}
		/*
		 * 416: the .part is not a prefix of this file any more;
		 * a range error: the server cannot resume. Start over.
		 */
		if (((rc == CURLE_HTTP_RETURNED_ERROR && code == 416) ||
		     rc == CURLE_RANGE_ERROR) &&
		    tries == 0 && d.offset > 0) {
			free(why);
			unlink(part);
			continue;
		}
		if (d.write_errno != 0 || rc == -1) {
			unlink(part);
			util_set_cause(cause,
			               "%s; the partial download was "
			               "deleted",
			               why);
		} else if (d.offset + d.got > 0)
			util_set_cause(
			    cause,
			    "%s (%llu bytes kept in %s; the next "
			    "try resumes from there)",
			    why, (unsigned long long)(d.offset + d.got), part);
		else {
			unlink(part);
			util_set_cause(cause, "%s", why);
		}
		free(why);
		free(part);
		hash_free(d.hash);
		return -1;
	}
	if (d.check) {
		hash_final(d.hash, hex);
		if (strcasecmp(hex, sha256) != 0) {
			unlink(part);
			util_set_cause(cause,
			               "checksum mismatch for %s: expected "
			               "%s %s, got %s; the download was "
			               "deleted",
			               url, hexlen == 128 ? "sha512" : "sha256",
			               sha256, hex);
			free(part);
			return -1;
		}
	}
	if (rename(part, dest) != 0) {
		util_set_cause(cause, "rename %s: %s", part, strerror(errno));
		unlink(part);
		free(part);
		return -1;
	}
	free(part);
	return 0;
}

/* Write DEST.sha256 so a cached image is checked once, not every start. */
static void
image_remember_sum(const char *dest, const char *hex)
{
	char *p = xasprintf("%s.sha256", dest), *s = xasprintf("%s\n", hex);

	util_write_file_atomic(p, s, strlen(s), 0644, 0, NULL);
	free(p);
	free(s);
}

/*
 * Does the file match hex? A cached download keeps its verified sum in
 * a sidecar (remember), so it is hashed once; a user's own file is hashed
 * each time (berth writes nothing beside it).
 */
static int
image_cached_ok(const char *dest, const char *hex, int remember, char **cause)
{
	char *p = xasprintf("%s.sha256", dest), *s = NULL, got[65];
	int r;

	if (remember)
		s = util_read_file(p, NULL, NULL);
	free(p);
	if (s != NULL && strncasecmp(s, hex, 64) == 0) {
		free(s);
		return 1;
	}
	free(s);
	if (image_file_sha256(dest, got, cause) != 0)
		return -1;
	r = strcasecmp(got, hex) == 0;
	if (r && remember)
		image_remember_sum(dest, got);
	return r;
}

/*
 * The local base image for a profile: the path itself, file:// URLs
 * decoded to their path, http(s) downloaded into the cache (or found
 * there: no network then). *note gets a remark for the user (no
 * checksum available; caller frees, may stay NULL). Returns the path
 * (caller frees) or NULL with *cause.
 */
char *
image_resolve(const struct profile *p, image_progress_cb cb, void *arg,
              char **note, char **cause)
{
	const char *src = image_source(p), *want = p->vm.image_sha256;
	char *dest, *sum = NULL, *why = NULL;
	struct stat sb;
	int ok;

	if (note != NULL)
		*note = NULL;
	if (src == NULL || *src == '\0') {
		src = image_default_url(p->vm.arch);
		if (src == NULL) {
			util_set_cause(cause,
			               "no default image for vm.arch %s; set "
			               "vm.image",
			               p->vm.arch);
			return NULL;
		}
	}
	if (!image_is_url(src)) {
		char *path;

		if (strncmp(src, "file://", 7) == 0)
			path = xstrdup(src + 7);
		else if (strstr(src, "://") != NULL) {
			util_set_cause(cause,
			               "vm.image %s: only http, https and file "
			               "URLs are supported",
			               src);
			return NULL;
		} else
			path = paths_expand_tilde(src);
		if (stat(path, &sb) != 0) {
			util_set_cause(cause, "vm.image %s: %s", path,
			               strerror(errno));
			free(path);
			return NULL;
		}
		if (!S_ISREG(sb.st_mode)) {
			util_set_cause(cause, "vm.image %s: not a regular file",
			               path);
			free(path);
			return NULL;
		}
		if (want != NULL && *want != '\0') {
			ok = image_cached_ok(path, want, 0, cause);
			if (ok <= 0) {
				if (ok == 0)
					util_set_cause(cause,
					               "vm.image %s does not "
					               "match vm.image_sha256",
					               path);
				free(path);
				return NULL;
			}
		}
		return path;
	}
	dest = image_cache_path(src);
	if (stat(dest, &sb) == 0) {
		if (want == NULL || *want == '\0')
			return dest;
		ok = image_cached_ok(dest, want, 1, cause);
		if (ok == 1)
			return dest;
		if (ok == -1) {
			free(dest);
			return NULL;
		}
		unlink(dest); /* vm.image_sha256 changed: fetch again */
	}
	if (want == NULL || *want == '\0') {
		sum = image_sums_lookup(src, &why);
		if (sum == NULL && note != NULL)
			*note = xasprintf("%s; the download is not verified "
			                  "(set vm.image_sha256)",
			                  why);
		free(why);
		want = sum;
	}
	if (image_download(src, dest, want, cb, arg, cause) != 0) {
		free(sum);
		free(dest);
		return NULL;
	}
	if (want != NULL)
		image_remember_sum(dest, want);
	free(sum);
	return dest;
}

/* "412.0M / 498.2M  8.2M/s  ETA 0:10" (caller frees). */
char *
image_progress_text(const struct image_progress *pr)
{
	char *done = units_format_size(pr->done), *tot = NULL, *rate, *r;
	char eta[32] = "";

	if (pr->total > 0)
		tot = units_format_size(pr->total);
	rate = units_format_size((uint64_t)pr->rate);
	if (pr->eta_s >= 0)
		snprintf(eta, sizeof eta, "  ETA %d:%02d", pr->eta_s / 60,
		         pr->eta_s % 60);
	if (tot != NULL)
		r = xasprintf("%s / %s (%d%%)  %s/s%s", done, tot,
		              (int)(pr->done * 100 / pr->total), rate, eta);
	else
		r = xasprintf("%s  %s/s", done, rate);
	free(done);
	free(tot);
	free(rate);
	return r;
}

static int
image_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct image_entry *)a)->name,
	              ((const struct image_entry *)b)->name);
}

/* The cache's images and partial downloads, by name (caller frees with
 * image_list_free). */
struct image_entry *
image_list(size_t *n, char **cause)
{
	char *dir = image_cache_dir();
	struct image_entry *v = NULL;
	struct dirent *de;
	struct stat sb;
	DIR *dp;
	size_t len;

	*n = 0;
	if ((dp = opendir(dir)) == NULL) {
		if (errno != ENOENT) {
			util_set_cause(cause, "%s: %s", dir, strerror(errno));
			free(dir);
			return NULL;
		}
		free(dir);
		return xcalloc(1, sizeof *v);
	}
	while ((de = readdir(dp)) != NULL) {
		char *path;

		len = strlen(de->d_name);
		if (de->d_name[0] == '.' ||
		    (len > 7 && strcmp(de->d_name + len - 7, ".sha256") == 0))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			free(path);
			continue;
		}
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[*n].path = path;
		v[*n].name = xstrdup(de->d_name);
		v[*n].size = (uint64_t)sb.st_blocks * 512;
		v[*n].partial =
		    len > 5 && strcmp(de->d_name + len - 5, ".part") == 0;
		v[*n].mtime = (int64_t)sb.st_mtime;
		(*n)++;
	}
	closedir(dp);
	free(dir);
	if (*n > 1)
		qsort(v, *n, sizeof *v, image_entry_cmp);
	if (v == NULL)
		v = xcalloc(1, sizeof *v);
	return v;
}

void
image_list_free(struct image_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].name);
	}
	free(v);
}

/* Remove one cached image by its name in the cache (and its sidecar). */
int
image_remove(const char *name, char **cause)
{
	char *dir = image_cache_dir(), *path, *side;

	if (*name == '\0' || strchr(name, '/') != NULL || name[0] == '.') {
		util_set_cause(cause,
		               "%s: not an image name (see berth image "
		               "list)",
		               name);
		free(dir);
		return -1;
	}
	path = xasprintf("%s/%s", dir, name);
	free(dir);
	if (unlink(path) != 0) {
		util_set_cause(cause, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	side = xasprintf("%s.sha256", path);
	unlink(side);
	free(side);
	free(path);
	return 0;
}

/*
 * Remove partial downloads and cached images no profile's vm.image (or
 * default) points at. *removed lists the names (caller frees each and
 * the array).
 */
int
image_prune(char ***removed, size_t *nremoved, char **cause)
{
	struct image_entry *v;
	char **names, **used = NULL;
	size_t n, nn = 0, nused = 0, i, j;

	*removed = NULL;
	*nremoved = 0;
	if ((v = image_list(&n, cause)) == NULL)
		return -1;
	names = profile_list_names(&nn);
	for (i = 0; i < nn; i++) {
		struct profile *p = profile_open(names[i], NULL);
		const char *src;

		if (p == NULL)
			continue;
		src = p->vm.image != NULL && *p->vm.image != '\0'
		          ? p->vm.image
		          : image_default_url(p->vm.arch);
		if (src != NULL && image_is_url(src)) {
			used = xreallocarray(used, nused + 1, sizeof *used);
			used[nused++] = image_cache_path(src);
		}
		profile_free(p);
	}
	for (i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	for (i = 0; i < n; i++) {
		int keep = 0;

		for (j = 0; j < nused && !v[i].partial; j++)
			keep |= strcmp(used[j], v[i].path) == 0;
		if (keep || image_remove(v[i].name, NULL) != 0)
			continue;
		*removed =
		    xreallocarray(*removed, *nremoved + 1, sizeof **removed);
		(*removed)[(*nremoved)++] = xstrdup(v[i].name);
	}
	for (j = 0; j < nused; j++)
		free(used[j]);
	free(used);
	image_list_free(v, n);
	return 0;
}
