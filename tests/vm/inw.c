/*
 * inw: a tiny inotify watcher for berth's test guest. It runs inside the
 * busybox initramfs (built with gcc -static, so it needs no libraries) and
 * tells the host which inotify events the guest kernel raised on the shared
 * folders, which is what polling mode (issue 7) has to produce.
 *
 * usage: inw [-r] DIR...
 *   -r  also watch every subdirectory, and new ones as they appear
 *       (IN_CREATE or IN_MOVED_TO with IN_ISDIR, as inotifywait -r).
 *
 * Output, one line per event, flushed at once:
 *   INW-READY                          once every watch is in place
 *   INW <epoch.ms> <path> <MASK,NAMES> one per event, for example
 *   INW 1764300000.123 /mnt/share0/a.txt ATTRIB
 *   INW 1764300000.125 /mnt/share0/sub CREATE,ISDIR
 * The path is the watched directory joined with the event's name; control
 * characters in it are printed as '?'. The mask is the last field, the time
 * the second, so a path with spaces can still be split.
 */

#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INW_MAX_WATCHES 65536

struct inw_mask {
	unsigned int bit;
	const char *name;
};

static const struct inw_mask inw_masks[] = {
    {IN_ACCESS, "ACCESS"},
    {IN_MODIFY, "MODIFY"},
    {IN_ATTRIB, "ATTRIB"},
    {IN_CLOSE_WRITE, "CLOSE_WRITE"},
    {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"},
    {IN_OPEN, "OPEN"},
    {IN_MOVED_FROM, "MOVED_FROM"},
    {IN_MOVED_TO, "MOVED_TO"},
    {IN_CREATE, "CREATE"},
    {IN_DELETE, "DELETE"},
    {IN_DELETE_SELF, "DELETE_SELF"},
    {IN_MOVE_SELF, "MOVE_SELF"},
    {IN_UNMOUNT, "UNMOUNT"},
    {IN_Q_OVERFLOW, "Q_OVERFLOW"},
    {IN_IGNORED, "IGNORED"},
    {IN_ISDIR, "ISDIR"},
};

/* Watch descriptor -> directory path; owned here, freed never (pid-long). */
static char *inw_paths[INW_MAX_WATCHES];
static int inw_recursive;

/* Print one path with control characters replaced. */
static void
inw_put_path(const char *s)
{
	for (; *s != '\0'; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/*
 * Add a watch on dir and, with -r, on its subdirectories. At start the tree
 * is walked before the watches exist so that our own readdir raises no
 * events. A directory created later (new: 1) is watched before it is read:
 * a subdirectory made between reading it and watching it would raise no
 * event and be missed (sync-ssh.sh saw src/deep go unwatched when the first
 * sync made src and src/deep at once). Its OPEN/ACCESS/CLOSE_NOWRITE,ISDIR
 * lines may then come from inw itself.
 */
static void
inw_add(int fd, const char *dir, int new)
{
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	char **kids = NULL, **k, path[PATH_MAX];
	size_t nkids = 0;
	int wd = -1;

	if (new)
		wd = inotify_add_watch(fd, dir, IN_ALL_EVENTS | IN_ONLYDIR);
	if (inw_recursive && (d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (snprintf(path, sizeof path, "%s/%s", dir,
			             de->d_name) >= (int)sizeof path)
				continue;
			if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
				continue;
			k = realloc(kids, (nkids + 1) * sizeof *kids);
			if (k == NULL || (k[nkids] = strdup(path)) == NULL)
				abort();
			kids = k;
			nkids++;
		}
		closedir(d);
	}

	/* Children first, so that walking them raises nothing on dir. */
	while (nkids > 0) {
		nkids--;
		inw_add(fd, kids[nkids], new);
		free(kids[nkids]);
	}
	if (!new)
		wd = inotify_add_watch(fd, dir, IN_ALL_EVENTS | IN_ONLYDIR);
	if (wd < 0)
		fprintf(stderr, "inw: %s: %s\n", dir, strerror(errno));
	else if (wd < INW_MAX_WATCHES) {
		/* A folder watched already and moved in: its new name, as
		 * inotifywait -r renames its watches on a move. */
		free(inw_paths[wd]);
		inw_paths[wd] = strdup(dir);
		if (inw_paths[wd] == NULL)
			abort();
	}
	free(kids);
}

/* Print one event line. */
static void
inw_print(const struct inotify_event *ev)
{
	struct timeval tv;
	const char *dir;
	size_t i;
	int first = 1;

	gettimeofday(&tv, NULL);
	dir =
	    ev->wd >= 0 && ev->wd < INW_MAX_WATCHES ? inw_paths[ev->wd] : NULL;
	printf("INW %lld.%03ld ", (long long)tv.tv_sec,
	       (long)tv.tv_usec / 1000);
	inw_put_path(dir != NULL ? dir : "?");
	if (ev->len > 0 && ev->name[0] != '\0') {
		putchar('/');
		inw_put_path(ev->name);
	}
	putchar(' ');
	for (i = 0; i < sizeof inw_masks / sizeof inw_masks[0]; i++) {
		if (ev->mask & inw_masks[i].bit) {
			printf("%s%s", first ? "" : ",", inw_masks[i].name);
			first = 0;
		}
	}
	if (first)
		printf("0x%x", ev->mask);
	putchar('\n');
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	char buf[65536] __attribute__((aligned(8)));
	const struct inotify_event *ev;
	char path[PATH_MAX];
	ssize_t n;
	char *p;
	int fd, i = 1;

	if (argc > 1 && strcmp(argv[1], "-r") == 0) {
		inw_recursive = 1;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: inw [-r] DIR...\n");
		return 2;
	}
	if ((fd = inotify_init1(0)) < 0) {
		perror("inw: inotify_init1");
		return 1;
	}
	for (; i < argc; i++)
		inw_add(fd, argv[i], 0);
	printf("INW-READY\n");
	fflush(stdout);

	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("inw: read");
			return 1;
		}
		for (p = buf; p < buf + n;
		     p += sizeof(struct inotify_event) + ev->len) {
			ev = (const struct inotify_event *)p;
			inw_print(ev);
			if (inw_recursive &&
			    (ev->mask & (IN_CREATE | IN_MOVED_TO)) &&
			    (ev->mask & IN_ISDIR) && ev->wd >= 0 &&
			    ev->wd < INW_MAX_WATCHES &&
			    inw_paths[ev->wd] != NULL &&
			    snprintf(path, sizeof path, "%s/%s",
			             inw_paths[ev->wd],
			             ev->name) < (int)sizeof path)
				inw_add(fd, path, 1);
			if ((ev->mask & IN_IGNORED) && ev->wd >= 0 &&
			    ev->wd < INW_MAX_WATCHES) {
				free(inw_paths[ev->wd]);
				inw_paths[ev->wd] = NULL;
			}
		}
	}
}
