/*
 * test_replay.c: the host side of the guest replay: path mapping,
 * coalescing a pass's changes into one batch, the ops per replay: mode and
 * read-only mounts, chunked encoding of the script's input, the agent
 * requests (paths only in base64 input, never in the command; the
 * status request's pid a number; arguments escaped), and the
 * guest script itself run by the host's /bin/sh on real files: content
 * and times unchanged, missing paths counted as gone, nothing created.
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/core.h"
#include "mounts/mounts.h"

static void
test_map_path(void **state)
{
	char *p;

	(void)state;
	p = replay_map_path("/home/u/src", "a/b.js");
	assert_string_equal(p, "/home/u/src/a/b.js");
	free(p);
	p = replay_map_path("/mnt/share/", "x");
	assert_string_equal(p, "/mnt/share/x");
	free(p);
	p = replay_map_path("/mnt/share", "");
	assert_string_equal(p, "/mnt/share");
	free(p);
	p = replay_map_path("/", "top");
	assert_string_equal(p, "/top");
	free(p);
}

static void
test_ops(void **state)
{
	(void)state;
	assert_int_equal(replay_ops(PROFILE_REPLAY_BOTH, 1),
	                 REPLAY_OP_ATTRIB | REPLAY_OP_WRITE);
	assert_int_equal(replay_ops(PROFILE_REPLAY_ATTRIB, 1),
	                 REPLAY_OP_ATTRIB);
	assert_int_equal(replay_ops(PROFILE_REPLAY_CLOSE_WRITE, 1),
	                 REPLAY_OP_WRITE);
	/* Read-only: only an open for reading is possible. */
	assert_int_equal(replay_ops(PROFILE_REPLAY_BOTH, 0), REPLAY_OP_READ);
}

static const struct replay_item *
find_item(const struct replay_batch *b, const char *path)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->v[i].path, path) == 0)
			return &b->v[i];
	return NULL;
}

/* A burst: many changes to few paths become one item per path. */
static void
test_batch_coalesces(void **state)
{
	struct scan_changes c = {0};
	struct replay_batch b = {0};
	const struct replay_item *it;
	char name[64];
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		scan_changes_add(&c, SCAN_MODIFIED, SCAN_FILE, SCAN_FILE,
		                 "src/app.js");
	scan_changes_add(&c, SCAN_CREATED, SCAN_FILE, SCAN_FILE, "src/new.js");
	scan_changes_add(&c, SCAN_DELETED, SCAN_FILE, SCAN_FILE, "src/old.js");
	scan_changes_add(&c, SCAN_CREATED, SCAN_DIR, SCAN_DIR, "lib");
	scan_changes_add(&c, SCAN_CREATED, SCAN_LINK, SCAN_LINK, "ln");
	replay_batch_add_changes(&b, "/w", &c, PROFILE_REPLAY_BOTH, 1);
	assert_int_equal(b.changes, 9);
	/* app.js, new.js, src (parent of new/old), lib, / (parent of lib) */
	assert_int_equal(b.n, 5);
	it = find_item(&b, "/w/src/app.js");
	assert_non_null(it);
	assert_int_equal(it->ops, REPLAY_OP_ATTRIB | REPLAY_OP_WRITE);
	assert_string_equal(it->rel, "src/app.js");
	it = find_item(&b, "/w/src");
	assert_non_null(it);
	assert_int_equal(it->ops, REPLAY_OP_ATTRIB);
	assert_true(it->is_dir);
	assert_null(find_item(&b, "/w/src/old.js")); /* gone: parent only */
	assert_null(find_item(&b, "/w/ln"));         /* links: parent only */
	assert_non_null(find_item(&b, "/w"));
	assert_non_null(find_item(&b, "/w/lib"));
	scan_changes_clear(&c);

	/* A 5,000-file burst: all of them, once each. */
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof name, "burst/f%04d", i);
		scan_changes_add(&c, SCAN_CREATED, SCAN_FILE, SCAN_FILE, name);
		scan_changes_add(&c, SCAN_MODIFIED, SCAN_FILE, SCAN_FILE, name);
	}
	replay_batch_add_changes(&b, "/w", &c, PROFILE_REPLAY_ATTRIB, 1);
	assert_int_equal(b.n, 5 + 5000 + 1);
	for (i = 0; i < 5000; i += 997) {
		snprintf(name, sizeof name, "/w/burst/f%04d", i);
		it = find_item(&b, name);
		assert_non_null(it);
		assert_int_equal(it->ops, REPLAY_OP_ATTRIB);
	}
	scan_changes_clear(&c);
	replay_batch_clear(&b);
	assert_int_equal(b.n, 0);
}

/* Chunks never split a line, never lose an item, and skip newline paths */
static void
test_encode_chunks(void **state)
{
	struct replay_batch b = {0};
	char name[64], *chunk;
	size_t from = 0, next, len, lines = 0, i;
	int k;

	(void)state;
	for (k = 0; k < 300; k++) {
		snprintf(name, sizeof name, "/g/d/file-%03d.js", k);
		replay_batch_add(&b, name, name + 3,
		                 k % 2 ? REPLAY_OP_ATTRIB
		                       : REPLAY_OP_ATTRIB | REPLAY_OP_WRITE,
		                 0);
	}
	replay_batch_add(&b, "/g/bad\nname", "bad\nname", REPLAY_OP_WRITE, 0);
	replay_batch_add(&b, "/g/ro", "ro", REPLAY_OP_READ, 0);
	while (from < b.n) {
		chunk = replay_batch_encode(&b, from, 1000, &next, &len);
		assert_true(len <= 1000);
		assert_true(next > from);
		assert_int_equal(strlen(chunk), len);
		if (len > 0)
			assert_int_equal(chunk[len - 1], '\n');
		for (i = 0; i < len; i++)
			lines += chunk[i] == '\n';
		if (from == 0) {
			assert_memory_equal(chunk, "b /g/d/file-000.js\n", 19);
			assert_memory_equal(chunk + 19, "a /g/d/file-001.js\n",
			                    19);
		}
		if (next == b.n)
			assert_non_null(strstr(chunk, "r /g/ro\n"));
		free(chunk);
		from = next;
	}
	assert_int_equal(lines, 301); /* the newline path cannot travel */
	replay_batch_clear(&b);
}

static void
test_base64(void **state)
{
	const char *in = "b /g/a b\n'$(rm -rf /)'\n";
	char *e;
	char *d;
	size_t n;

	(void)state;
	e = util_base64_encode("Man", 3);
	assert_string_equal(e, "TWFu");
	free(e);
	e = util_base64_encode("Ma", 2);
	assert_string_equal(e, "TWE=");
	free(e);
	e = util_base64_encode(in, strlen(in));
	d = replay_base64_decode(e, &n);
	assert_int_equal(n, strlen(in));
	assert_string_equal(d, in);
	free(d);
	free(e);
	assert_null(replay_base64_decode("@@@", NULL));
}

/* The request carries the path only inside base64 input-data. */
static void
test_request(void **state)
{
	const char *in = "b /mnt/x; touch /tmp/pwned\n";
	char *req = replay_agent_request(in, strlen(in)), *d;
	json_t *j, *args;
	json_error_t err;

	(void)state;
	assert_null(strstr(req, "pwned"));
	j = json_loads(req, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "execute")),
	                    "guest-exec");
	args = json_object_get(j, "arguments");
	assert_string_equal(json_string_value(json_object_get(args, "path")),
	                    "/bin/sh");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(args, "arg"), 1)),
	    replay_guest_script);
	assert_true(json_is_true(json_object_get(args, "capture-output")));
	d = replay_base64_decode(
	    json_string_value(json_object_get(args, "input-data")), NULL);
	assert_string_equal(d, in);
	free(d);
	json_decref(j);
	free(req);
}

/*
 * guest-exec-status: the same JSON the printf wrote, the pid a number
 * (not a string), whatever its size.
 */
static void
test_status_request(void **state)
{
	char *req = replay_agent_status_request(1234), *old;
	json_t *j, *pid;

	(void)state;
	old = xasprintf("{\"execute\":\"guest-exec-status\","
	                "\"arguments\":{\"pid\":%lld}}",
	                1234LL);
	assert_string_equal(req, old);
	free(old);
	free(req);
	req = replay_agent_status_request(4294967296LL);
	j = json_loads(req, 0, NULL);
	assert_non_null(j);
	pid = json_object_get(json_object_get(j, "arguments"), "pid");
	assert_true(json_is_integer(pid));
	assert_true(json_integer_value(pid) == 4294967296LL);
	json_decref(j);
	free(req);
}

/* A script and an argument with quotes, backslashes and newlines reach
 * the guest's argv as they are (escaped in the JSON, not cut). */
static void
test_request_escapes(void **state)
{
	const char *script = "echo \"$1\" \\ 'x'\n", *arg = "a\"b\\c\nd";
	char *req = replay_agent_request_for(script, arg, "", 0);
	json_t *j, *argv;

	(void)state;
	j = json_loads(req, 0, NULL);
	assert_non_null(j);
	argv = json_object_get(json_object_get(j, "arguments"), "arg");
	assert_int_equal(json_array_size(argv), 4);
	assert_string_equal(json_string_value(json_array_get(argv, 0)), "-c");
	assert_string_equal(json_string_value(json_array_get(argv, 1)), script);
	assert_string_equal(json_string_value(json_array_get(argv, 2)),
	                    "berth");
	assert_string_equal(json_string_value(json_array_get(argv, 3)), arg);
	json_decref(j);
	free(req);
}

/* Run the guest script with this host's sh, dir's fakes first in PATH. */
static void
run_script(const char *dir, const char *input, struct replay_result *r,
           char *out, size_t outsz)
{
	char *cmd;
	FILE *fp;

	cmd = xasprintf("%s/input", dir);
	fp = fopen(cmd, "w");
	assert_non_null(fp);
	fputs(input, fp);
	fclose(fp);
	free(cmd);
	cmd = xasprintf("%s/script", dir);
	fp = fopen(cmd, "w");
	assert_non_null(fp);
	fputs(replay_guest_script, fp);
	fclose(fp);
	free(cmd);
	cmd = xasprintf("PATH='%s/bin':$PATH sh %s/script < %s/input", dir, dir,
	                dir);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	out[fread(out, 1, outsz - 1, fp)] = '\0';
	assert_int_equal(pclose(fp), 0);
	assert_int_equal(replay_parse_output(out, r), 0);
	free(cmd);
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/*
 * The guest script, run by this host's sh on real files: it must leave
 * content and mtime alone, never create a missing file, and count.
 */
static void
test_script_on_host(void **state)
{
	char dir[] = "/tmp/berth-replay.XXXXXX", *path, *input, *cmd, *sticky,
	     out[256] = "";
	struct stat before, after;
	struct timespec ts[2] = {{1700000000, 123456789},
	                         {1700000000, 123456789}};
	struct replay_result r;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/weird name $(x)", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "content", 7), 7);
	close(fd);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_int_equal(stat(path, &before), 0);
	/* A sticky file keeps its sticky bit (chmod +t for it, -t for all). */
	sticky = xasprintf("%s/sticky", dir);
	fd = open(sticky, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(sticky, 01640), 0);
	input = xasprintf("b %s\na %s\nw %s\nr %s\nw %s/missing\na %s\n"
	                  "B %s\n",
	                  path, path, path, path, dir, dir, sticky);
	run_script(dir, input, &r, out, sizeof out);
	assert_non_null(strstr(out, "chmodfail=0"));
	assert_int_equal(r.ok, 6);
	assert_int_equal(r.failed, 0);
	assert_int_equal(r.gone, 1);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_size, 7);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_mode & 07777, before.st_mode & 07777);
	assert_int_equal(stat(sticky, &after), 0);
	assert_int_equal(after.st_mode & 07777, 01640);
	free(sticky);
	{
		char *m = xasprintf("%s/missing", dir);

		assert_int_equal(access(m, F_OK), -1); /* not created */
		free(m);
	}
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(input);
	free(path);
}

/*
 * A path the host deletes between the script's check and its chmod or
 * open counts as gone, not failed (poll-replay.sh saw failed=1 in CI
 * after `rm -rf` of a folder being replayed). The race is made certain
 * by a chmod in PATH that deletes the path first; a chmod refused for
 * another reason (the same fake refuses "perm") still counts as failed.
 */
static void
test_script_deleted_meanwhile(void **state)
{
	char dir[] = "/tmp/berth-replay-race.XXXXXX", *cmd, out[256] = "";
	struct replay_result r;
	FILE *fp;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	cmd = xasprintf("%s/bin", dir);
	assert_int_equal(mkdir(cmd, 0755), 0);
	free(cmd);
	cmd = xasprintf("%s/bin/chmod", dir);
	fp = fopen(cmd, "w");
	assert_non_null(fp);
	fprintf(fp,
	        "#!/bin/sh\n"
	        "for a; do case $a in %s/f*) rm -f \"$a\" ;;\n"
	        "*/perm) echo \"chmod: $a: Operation not permitted\" >&2\n"
	        "        exit 1 ;; esac; done\n"
	        "exec /bin/chmod \"$@\"\n",
	        dir);
	fclose(fp);
	assert_int_equal(chmod(cmd, 0755), 0);
	free(cmd);
	for (int i = 0; i <= 2; i++) {
		cmd = i == 0 ? xasprintf("%s/perm", dir)
		             : xasprintf("%s/f%d", dir, i);
		fd = open(cmd, O_WRONLY | O_CREAT, 0644);
		assert_true(fd >= 0);
		close(fd);
		free(cmd);
	}
	cmd = xasprintf("a %s/f1\nA %s/f2\na %s/perm\n", dir, dir, dir);
	run_script(dir, cmd, &r, out, sizeof out);
	free(cmd);
	/* f1 was replayed (ok), f2 went (gone), perm was refused. */
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.gone, 1);
	assert_int_equal(r.failed, 1);
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/*
 * The tops of new and gone trees get their folder dance (their subtrees,
 * the dance's own name and read-only mounts do not), and the dances go
 * first in a chunk.
 */
static void
test_folder_dances(void **state)
{
	struct replay_batch b = {0};
	struct scan_changes c = {0};
	const struct replay_item *it;
	size_t next, len;
	char *chunk;

	(void)state;
	scan_changes_add(&c, SCAN_MODIFIED, SCAN_FILE, SCAN_FILE, "x.js");
	scan_changes_add(&c, SCAN_CREATED, SCAN_DIR, SCAN_DIR, "src/new");
	scan_changes_add(&c, SCAN_CREATED, SCAN_DIR, SCAN_DIR, "src/new/sub");
	scan_changes_add(&c, SCAN_CREATED, SCAN_FILE, SCAN_FILE,
	                 "src/new/sub/f.js");
	scan_changes_add(&c, SCAN_CREATED, SCAN_DIR, SCAN_DIR, "top");
	scan_changes_add(&c, SCAN_CREATED, SCAN_DIR, SCAN_DIR,
	                 "src/.berth-mv.12.0");
	scan_changes_add(&c, SCAN_DELETED, SCAN_DIR, SCAN_DIR, "old/in");
	scan_changes_add(&c, SCAN_DELETED, SCAN_FILE, SCAN_FILE, "old/in/f");
	scan_changes_add(&c, SCAN_DELETED, SCAN_DIR, SCAN_DIR, "old");
	scan_changes_add(&c, SCAN_DELETED, SCAN_FILE, SCAN_FILE, "gone.js");
	replay_batch_add_changes(&b, "/w", &c, PROFILE_REPLAY_BOTH, 1);
	it = find_item(&b, "/w/src/new");
	assert_non_null(it);
	assert_true(it->ops & REPLAY_OP_MKDIR);
	assert_non_null(it = find_item(&b, "/w/top"));
	assert_true(it->ops & REPLAY_OP_MKDIR);
	assert_non_null(it = find_item(&b, "/w/src/new/sub"));
	assert_false(it->ops & REPLAY_OP_MKDIR);
	assert_non_null(it = find_item(&b, "/w/src/.berth-mv.12.0"));
	assert_false(it->ops & REPLAY_OP_MKDIR);
	assert_non_null(it = find_item(&b, "/w/old"));
	assert_true(it->ops & REPLAY_OP_RMDIR);
	assert_non_null(it = find_item(&b, "/w/old/in")); /* a parent */
	assert_false(it->ops & REPLAY_OP_RMDIR);
	assert_null(find_item(&b, "/w/gone.js")); /* no file dance */
	chunk = replay_batch_encode(&b, 0, 16384, &next, &len);
	assert_int_equal(next, b.n);
	/* Dances first, in batch order; then the rest. */
	assert_memory_equal(
	    chunk, "d /w/src/new\nd /w/top\nD /w/old\nb /w/x.js\n", 41);
	free(chunk);
	replay_batch_clear(&b);

	/* Read-only: no dance, only opens for reading. */
	replay_batch_add_changes(&b, "/w", &c, PROFILE_REPLAY_BOTH, 0);
	assert_non_null(it = find_item(&b, "/w/src/new"));
	assert_int_equal(it->ops, REPLAY_OP_READ);
	assert_non_null(it = find_item(&b, "/w/old"));
	assert_int_equal(it->ops, REPLAY_OP_READ);
	replay_batch_clear(&b);
	scan_changes_clear(&c);
}

static void
assert_file(const char *path, const char *text)
{
	char buf[256] = "";
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	buf[fread(buf, 1, sizeof buf - 1, fp)] = '\0';
	fclose(fp);
	assert_string_equal(buf, text);
}

/* How many names in dir start with prefix. */
static int
count_names(const char *dir, const char *prefix)
{
	char *cmd = xasprintf("ls -a '%s' | grep -c '^%s'", dir, prefix);
	FILE *fp = popen(cmd, "r");
	int n = -1;

	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%d", &n), 1);
	pclose(fp);
	free(cmd);
	return n;
}

/*
 * The folder dances on real folders, with the host racing them through
 * fakes of mv, mkdir and rmdir in PATH that change the same name at the
 * worst moment: no host byte is lost or overwritten, the folder is the
 * same inode after its dance, and the dance's name is left only when the
 * host made a non-empty folder of the same name within it (kept, named).
 */
static void
test_script_dance_races(void **state)
{
	char dir[] = "/tmp/berth-replay-dance.XXXXXX", *p, *in, out[512];
	struct replay_result r;
	struct stat before, after;

	(void)state;
	assert_non_null(mkdtemp(dir));
	p = xasprintf("%s/bin", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	/* mv: after moving .../race away, the host makes it again, full. */
	p = xasprintf("%s/bin/mv", dir);
	write_file(p, "#!/bin/sh\n"
	              "case $3 in */race) mv=$(PATH=${PATH#*:} command -v mv)\n"
	              "  \"$mv\" \"$@\"; st=$?; mkdir \"$3\"\n"
	              "  echo newer >\"$3/host.txt\"; exit $st ;; esac\n"
	              "PATH=${PATH#*:} exec mv \"$@\"\n");
	assert_int_equal(chmod(p, 0755), 0);
	free(p);
	/* mkdir: the host makes .../back (a file) just before the guest. */
	p = xasprintf("%s/bin/mkdir", dir);
	write_file(p, "#!/bin/sh\n"
	              "case $2 in */back) echo host >\"$2\" ;; esac\n"
	              "PATH=${PATH#*:} exec mkdir \"$@\"\n");
	assert_int_equal(chmod(p, 0755), 0);
	free(p);
	/* rmdir: the host writes into .../filled just before the guest. */
	p = xasprintf("%s/bin/rmdir", dir);
	write_file(p, "#!/bin/sh\n"
	              "case $2 in */filled) echo host >\"$2/in.txt\" ;; esac\n"
	              "PATH=${PATH#*:} exec rmdir \"$@\"\n");
	assert_int_equal(chmod(p, 0755), 0);
	free(p);

	p = xasprintf("%s/s", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/s/new", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/s/new/a.txt", dir);
	write_file(p, "host bytes\n");
	free(p);
	p = xasprintf("%s/s/race", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/s/race/old.txt", dir);
	write_file(p, "older\n");
	free(p);
	p = xasprintf("%s/s/new", dir);
	assert_int_equal(stat(p, &before), 0);
	free(p);

	in = xasprintf("d %s/s/new\nd %s/s/race\nd %s/s/nodir\n"
	               "D %s/s/gone\nD %s/s/back\nD %s/s/filled\n"
	               "D %s/s/new\n",
	               dir, dir, dir, dir, dir, dir, dir);
	run_script(dir, in, &r, out, sizeof out);
	free(in);
	/* new danced and back (same inode, bytes kept), gone made and
	 * removed; race and filled refused; nodir, back and new (exists)
	 * left alone. */
	assert_int_equal(r.ok, 2);
	assert_int_equal(r.failed, 2);
	assert_int_equal(r.gone, 3);
	p = xasprintf("%s/s/new", dir);
	assert_int_equal(stat(p, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	free(p);
	p = xasprintf("%s/s/new/a.txt", dir);
	assert_file(p, "host bytes\n");
	free(p);
	/* The race: both the older folder and the newer one keep their
	 * bytes; the older is kept under the dance's name, and said. */
	p = xasprintf("%s/s/race/host.txt", dir);
	assert_file(p, "newer\n");
	free(p);
	assert_non_null(strstr(out, "kept="));
	p = strstr(out, "kept=") + 5;
	p[strcspn(p, "\n")] = '\0';
	in = xasprintf("%s/old.txt", p);
	assert_file(in, "older\n");
	free(in);
	p = xasprintf("%s/s/back", dir);
	assert_file(p, "host\n");
	free(p);
	p = xasprintf("%s/s/filled/in.txt", dir);
	assert_file(p, "host\n");
	free(p);
	p = xasprintf("%s/s/gone", dir);
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	p = xasprintf("%s/s", dir);
	assert_int_equal(count_names(p, ".berth-mv"), 1); /* race's only */
	free(p);

	/* Without the race, no name is left behind. */
	p = xasprintf("rm -rf '%s/s'/.berth-mv.* '%s/bin/mv'", dir, dir);
	assert_int_equal(system(p), 0);
	free(p);
	in = xasprintf("d %s/s/new\nd %s/s/race\nb %s/s/new/a.txt\n", dir, dir,
	               dir);
	run_script(dir, in, &r, out, sizeof out);
	free(in);
	assert_int_equal(r.ok, 3);
	assert_int_equal(r.failed, 0);
	p = xasprintf("%s/s", dir);
	assert_int_equal(count_names(p, ".berth-mv"), 0);
	free(p);
	p = xasprintf("%s/s/new/a.txt", dir);
	assert_file(p, "host bytes\n");
	free(p);
	p = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
	free(p);
}

static void
test_parse_output(void **state)
{
	struct replay_result r;

	(void)state;
	assert_int_equal(replay_parse_output("ok=3 bad=1 gone=2\n", &r), 0);
	assert_int_equal(r.ok, 3);
	assert_int_equal(r.failed, 1);
	assert_int_equal(r.gone, 2);
	/* A kept folder's name may say anything; lines count from their
	 * start. */
	assert_int_equal(replay_parse_output(
	                     "kept=/g/ok=9 bad=9 gone=9/boot=x/.berth-mv.1.0\n"
	                     "ok=1 bad=1 gone=0\nchmodfail=0\nboot=b-1\n",
	                     &r),
	                 0);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.failed, 1);
	assert_int_equal(r.gone, 0);
	assert_string_equal(r.boot, "b-1");
	assert_int_equal(replay_parse_output("garbage", &r), -1);
	assert_int_equal(replay_parse_output(NULL, &r), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_map_path),
	    cmocka_unit_test(test_ops),
	    cmocka_unit_test(test_batch_coalesces),
	    cmocka_unit_test(test_encode_chunks),
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_status_request),
	    cmocka_unit_test(test_request_escapes),
	    cmocka_unit_test(test_script_on_host),
	    cmocka_unit_test(test_script_deleted_meanwhile),
	    cmocka_unit_test(test_folder_dances),
	    cmocka_unit_test(test_script_dance_races),
	    cmocka_unit_test(test_parse_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
