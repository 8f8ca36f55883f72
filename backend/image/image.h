/*
 * image.h: where a VM's system disk comes from and what it is built on.
 * image.c resolves vm.image (a URL or a path) to a local base image,
 * downloading and checking it into the cache; image-disk.c makes the per-VM
 * disks on top of it; image-provision.c writes the first-boot (cloud-init
 * NoCloud) seed; image-create.c runs the create job that does all of it
 * and boots the VM in stages. The CLI (cli/cmd-image.c, cli/cmd-create.c)
 * and the VM component start them.
 */

#ifndef BERTH_IMAGE_H
#define BERTH_IMAGE_H

#include "vm/vm.h"

/* image.c */
struct image_progress {
	uint64_t done;  /* bytes on disk so far, resumed bytes included */
	uint64_t total; /* 0 = unknown */
	double rate;    /* bytes per second over the last seconds */
	int eta_s;      /* -1 = unknown */
};
typedef void (*image_progress_cb)(void *, const struct image_progress *);

struct image_entry {
	char *path;
	char *name;
	uint64_t size;
	int partial; /* an interrupted download (.part) */
	int64_t mtime;
};

const char *image_default_url(const char *);
const char *image_source(const struct profile *);
char *image_cache_dir(void);
char *image_cache_path(const char *);
int image_is_url(const char *);
char *image_resolve(const struct profile *, image_progress_cb, void *, char **,
                    char **);
int image_download(const char *, const char *, const char *, image_progress_cb,
                   void *, char **);
char *image_progress_text(const struct image_progress *);
int image_file_sha256(const char *, char[65], char **);

struct image_entry *image_list(size_t *, char **);
void image_list_free(struct image_entry *, size_t);
int image_remove(const char *, char **);
int image_prune(char ***, size_t *, char **);

/* image-disk.c */
int disk_format_of(const char *, const char **, char **);
int disk_create_overlay(const char *, const char *, uint64_t, char **);
int disk_create_data(const char *, uint64_t, char **);
int disk_prepare(const struct profile *, const char *, const char *,
                 image_progress_cb, void *, char **, char **, char **, char **,
                 char **);
void disk_attach(const char *, char **, char **);
char *disk_seed_url(const char *);
char *disk_system_path(const char *);
char *disk_data_path(const char *);
int disk_remove(const char *, int, char **);

/* image-provision.c */
char *provision_user_data(const struct profile *, const char *, const char *);
char *provision_meta_data(const struct profile *, const char *);
int provision_seed(const struct profile *, const char *, const char *, char **,
                   char **);
const char *provision_iso_tool(void);
struct provision_server;
struct provision_server *provision_serve(const char *, char **);
void provision_serve_stop(struct provision_server *);
int provision_serve_hits(const struct provision_server *);

/* image-create.c: creating a VM from an image and bringing it up in stages,
 * for `berth create`, `berth start` on a new VM and `berth delete`. */
enum create_stage {
	CREATE_DOWNLOAD,
	CREATE_DISKS,
	CREATE_BOOT,
	CREATE_PROVISION,
	CREATE_DOCKER,
	CREATE_SOCKET,
	CREATE_NSTAGES,
};

struct create_report {
	enum create_stage stage;
	int done;            /* the stage finished (else: progress) */
	uint64_t elapsed_ms; /* since the stage began */
	const char *detail;  /* progress or result text, may be NULL */
};
typedef void (*create_cb)(void *, const struct create_report *);

const char *create_stage_name(enum create_stage);
int create_vm(struct vm *, const struct profile *, create_cb, void *, char **);
int create_bring_up(struct vm *, const struct profile *, create_cb, void *,
                    char **);
int create_first_boot_pending(const struct profile *);
int create_delete(const struct profile *, const char *, const char *, int,
                  char **);

/*
 * The same stages as a background job for the dashboard's engine: the job
 * runs on its own thread with its own libvirt connection and reports
 * through a pipe the engine polls.
 */
struct create_job;
struct create_job *create_job_start(const struct profile *, int, int, int,
                                    char **);
int create_job_fd(const struct create_job *);
int create_job_read(struct create_job *, char **, char **, int *);
void create_job_release(struct create_job *);
/* The job's calls as the VM component drives it (vm_component_set_jobs). */
extern const struct vm_jobs create_jobs;

#endif /* BERTH_IMAGE_H */
