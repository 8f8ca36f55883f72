/*
 * create.h: creating a VM from an image and bringing it up in stages
 * (create.c), for `berth create`, `berth start` on a new VM and `berth
 * delete`.
 */

#ifndef BERTH_CREATE_H
#define BERTH_CREATE_H

#include "vm/vm.h"

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

#endif /* BERTH_CREATE_H */
