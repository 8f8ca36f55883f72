/*
 * vm.h: the VM backend's module API. vm.c and vm-*.c talk to libvirt
 * (connection, reconnect, lifecycle, resources, stats, events) and
 * vm-domxml.c builds and reads domain XML. The engine component (vm_component)
 * and the CLI (cli/cmd-vm.c) both drive a struct vm through these calls.
 */

#ifndef BERTH_VM_H
#define BERTH_VM_H

#include <pthread.h>

#include <libvirt/libvirt.h>

#include "core/core.h"

/* vm-domxml.c: a domain berth defines from a profile. */
struct domxml_mount {
	const char *host; /* host directory */
	const char *tag;  /* mount tag the guest uses */
	int virtiofs;     /* 0 = 9p */
	int readonly;
};

struct domxml_spec {
	const char *name;
	const char *profile; /* recorded in <metadata> */
	const char *type;    /* qemu | kvm | hvf | test */
	const char *arch;    /* x86_64 | aarch64 */
	int vcpus, vcpus_max;
	uint64_t memory, memory_max; /* bytes */
	const char *kernel, *initrd, *cmdline;
	const char *disk;        /* disk file, NULL = none */
	const char *disk_format; /* raw | qcow2 */
	int disk_boot;           /* boot from the disk (no kernel) */
	const char *data_disk;   /* qcow2 for /var/lib/docker (vdb), or NULL */
	const char *seed; /* cloud-init seed volume (read-only), or NULL */
	const char *smbios_serial; /* ds=nocloud;s=URL (seed over HTTP) */
	/* UEFI code of a non-x86 guest booting its disk; NULL: libvirt's */
	const char *firmware;
	const char *serial_log;
	int ssh_port; /* 0 = no forward */
	/*
	 * The balloon reports freed guest pages so QEMU gives them back to
	 * the host (libvirt >= 6.9, QEMU >= 5.1: vm_free_page_reporting).
	 */
	int free_page_reporting;
	const struct domxml_mount *mounts;
	size_t nmounts;
};

/* What berth reads back from any domain's XML. */
struct domxml_disk {
	char *target; /* vda */
	char *source; /* file path, NULL for other kinds */
	char *format;
	char *device; /* disk | cdrom */
};
struct domxml_fs {
	char *source, *target;
	char *driver; /* 9p | virtiofs */
	int readonly;
};
struct domxml_info {
	char *name;
	char *type;    /* qemu | kvm | hvf | test */
	int berth;     /* <metadata> says berth defined it */
	char *profile; /* from that metadata */
	int vcpus, vcpus_max;
	uint64_t memory, memory_max; /* current and maximum, bytes */
	struct domxml_disk *disks;
	size_t ndisks;
	struct domxml_fs *fs;
	size_t nfs;
	int ssh_port; /* slirp hostfwd to guest port 22, 0 = none */
	int agent;    /* has the guest agent channel */
	char *serial_log;
};

#define DOMXML_NS "https://github.com/berth-dev/berth/xmlns/domain/1"

char *domxml_build(const struct domxml_spec *, char **);
int domxml_parse(const char *, struct domxml_info *, char **);
void domxml_info_free(struct domxml_info *);
int domxml_has_fs(const struct domxml_info *, const char *);
const char *domxml_accel_name(const char *);

/* vm.c: the connection to libvirt, its events and the domain's state. */
struct vm;

enum vm_op {
	VM_OP_NONE,
	VM_OP_START,
	VM_OP_SHUTDOWN,
	VM_OP_DESTROY,
	VM_OP_REBOOT, /* a power cycle: shut down, start the definition */
	VM_OP_SUSPEND,
	VM_OP_RESUME,
};

/* How a resource change landed. */
enum vm_set_result {
	VM_SET_LIVE,    /* applied now and saved for the next boot */
	VM_SET_RESTART, /* saved; applies on restart */
	VM_SET_SAME,    /* nothing to change */
};

/* Called with progress text during long operations (may be NULL). */
typedef void (*vm_progress_cb)(void *, const char *);

struct vm *vm_new(const struct profile *);
void vm_free(struct vm *);
void vm_set_notify(struct vm *, void (*)(void *, int, const char *), void *);
void vm_set_oneshot(struct vm *, int);
int vm_connect(struct vm *, char **);
int vm_connected(const struct vm *);
int vm_event_fd(const struct vm *);
int vm_poll_events(struct vm *);
int vm_wait_events(struct vm *, int);
int vm_reconnect_due(struct vm *, uint64_t);
char *vm_default_uri(const char *);
int vm_uri_is_remote(const char *);
int vm_list_states(const char *, const char *const *, size_t,
                   enum model_vm_state *, char **);
void vm_profile_states(struct profile *const *, size_t, enum model_vm_state *);

/*
 * Inside backend/vm/ only: a struct vm's fields and the calls the vm-*.c
 * files share. Nothing outside this folder touches them.
 */
#define VM_MEM_MARGIN (512ULL << 20) /* memory left to the host */

/* What libvirt's event thread tells the owner of one connection. */
struct vm_sink {
	pthread_mutex_t lock;
	int refs;
	int pipe[2];
	char *domain; /* only events for this domain count */
	int changed;  /* a lifecycle event for the domain */
	int agent;    /* agent connected (1) / disconnected (0), -1 none */
	int closed;   /* the connection closed */
	int reason;   /* VIR_CONNECT_CLOSE_REASON_* */
};

typedef void (*vm_notify_cb)(void *, int, const char *);

struct vm {
	const struct profile *profile; /* borrowed */
	char *uri;
	char *domain;
	char *state_dir;

	virConnectPtr conn;
	virDomainPtr dom;
	struct vm_sink *sink;
	int cb_life, cb_agent;
	char *last_error; /* last reconnect failure announced */
	int close_cb;     /* close callback registered (holds a sink ref) */
	int no_events;    /* one-shot use: no event callbacks, no keepalive */
	int is_test;      /* test:// driver */
	int is_remote;    /* libvirt on another host: its files are not ours */

	struct model_vm m;
	struct domxml_info info;
	int have_info, info_dirty;

	/* Previous sample, for rates. */
	uint64_t prev_ms, prev_cpu, prev_rd, prev_wr, prev_rx, prev_tx;
	uint64_t *prev_vcpu;
	int nprev_vcpu;
	int have_prev;
	uint64_t facts_at;
	uint64_t started_ms; /* wall clock of the start we saw, 0 unknown */

	/* Reconnect. */
	int backoff_s;
	uint64_t retry_at; /* mono ms, 0 = not scheduled */
	int ever_up;

	/* The running operation. */
	enum vm_op op;
	int op_starting; /* VM_OP_REBOOT: stopped, now starting again */
	uint64_t op_deadline;
	uint64_t op_started;
	uint64_t op_retry; /* last agent shutdown request */

	int lock_fd;

	vm_notify_cb notify;
	void *notify_arg;
};

int vm_reconnect_in(const struct vm *);
const char *vm_last_error(void);
int vm_lookup(struct vm *);
void vm_notify(struct vm *, int, const char *, ...) BERTH_PRINTFLIKE(3, 4);
enum model_vm_state vm_map_state(int);
void vm_set_reason(struct vm *, int, int);
int vm_state_now(struct vm *, enum model_vm_state *);
int vm_is_live(enum model_vm_state);
void vm_read_info(struct vm *);

/* vm-stats.c: one refresh: state, stats and the guest agent's facts. */
int vm_refresh(struct vm *, int, char **);
void vm_fill(struct vm *, struct model_vm *);
int vm_main_disk(const struct domxml_info *);
int vm_disk_is_data(const struct domxml_info *, int);

/* vm-lock.c: the profile lock, one action at a time. */
/* How long a CLI action waits for another one on the same profile. */
#define VM_LOCK_WAIT_MS 5000
int vm_lock_wait(struct vm *, const char *, int, char **);
void vm_unlock(struct vm *);
long vm_lock_owner(struct vm *);
int vm_lock_dup(struct vm *);
void vm_lock_adopt(struct vm *, int);

/* vm-define.c: a domain defined from the profile. */
int vm_define(struct vm *, char **);
int vm_free_page_reporting(const char *, unsigned long, unsigned long);
int vm_remote_disk_delete(virConnectPtr, const char *, char **);
char *vm_pick_accel(struct vm *, char **);

/* vm-lifecycle.c: start, shut down, destroy, reboot, suspend, resume. */
int vm_op_begin(struct vm *, enum vm_op, char **);
int vm_op_poll(struct vm *, char **);
int vm_op_run(struct vm *, enum vm_op, vm_progress_cb, void *, char **);
const char *vm_op_name(enum vm_op);

/* vm-resources.c: CPUs, memory and disk, live when libvirt allows. */
int vm_set_parse(const char *, const char *, long *, uint64_t *, const char **,
                 char **, char **);
int vm_set(struct vm *, const char *, const char *, enum vm_set_result *,
           char **);
/*
 * Runs `sh -c SCRIPT berth ARG` in the guest with INPUT on its standard
 * input, within BUDGET ms: *out its output (caller frees), *code its exit
 * status. The mounts subsystem's replay_agent_exec, handed to vm/ by the
 * engine and the CLI (vm/ cannot call mounts/, which calls vm/).
 */
typedef int (*vm_guest_exec_cb)(virDomainPtr, const char *, const char *,
                                const char *, size_t, uint64_t, char **, int *,
                                char **);
void vm_set_guest_exec(vm_guest_exec_cb);

/* vm-component.c: a struct vm in the engine. */
/*
 * The create job (backend/image/image-create.c) as the component drives
 * it: image/ calls vm/, so vm/ reaches the job only through these, which
 * the engine hands over (vm_component_set_jobs) before it makes
 * components. Without them a VM from an image is defined, not created.
 */
struct create_job;
struct vm_jobs {
	/* The image the profile's VM comes from, or NULL (image_source). */
	const char *(*source)(const struct profile *);
	/* A created VM has not been brought up for the first time yet. */
	int (*first_boot_pending)(const struct profile *);
	struct create_job *(*start)(const struct profile *, int, int, int,
	                            char **);
	int (*fd)(const struct create_job *);
	int (*read)(struct create_job *, char **, char **, int *);
	void (*release)(struct create_job *);
};

void vm_component_set_jobs(const struct vm_jobs *);
extern const struct engine_component vm_component;

#endif /* BERTH_VM_H */
