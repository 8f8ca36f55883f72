/*
 * vm.h: the VM backend's module API. vm.c talks to libvirt (connection,
 * reconnect, lifecycle, resources, stats, events) and vm-domxml.c builds and
 * reads domain XML. The engine component (vm_component) and the CLI
 * (cli/cmd-vm.c) both drive a struct vm through these calls.
 */

#ifndef BERTH_VM_H
#define BERTH_VM_H

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
	const char *serial_log;
	int ssh_port; /* 0 = no forward */
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
const char *domxml_accel_name(const char *);

/* vm.c */
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
int vm_refresh(struct vm *, int, char **);
void vm_fill(struct vm *, struct model_vm *);
int vm_event_fd(const struct vm *);
int vm_poll_events(struct vm *);
int vm_wait_events(struct vm *, int);
/* How long a CLI action waits for another one on the same profile. */
#define VM_LOCK_WAIT_MS 5000
int vm_lock_wait(struct vm *, const char *, int, char **);
void vm_unlock(struct vm *);
long vm_lock_owner(struct vm *);
int vm_op_begin(struct vm *, enum vm_op, char **);
int vm_op_poll(struct vm *, char **);
int vm_op_run(struct vm *, enum vm_op, vm_progress_cb, void *, char **);
int vm_define(struct vm *, char **);
int vm_set_parse(const char *, const char *, long *, uint64_t *, const char **,
                 char **, char **);
int vm_set(struct vm *, const char *, const char *, enum vm_set_result *,
           char **);
int vm_reconnect_due(struct vm *, uint64_t);
const char *vm_op_name(enum vm_op);
char *vm_default_uri(const char *);
char *vm_pick_accel(struct vm *, char **);
int vm_list_states(const char *, const char *const *, size_t,
                   enum model_vm_state *, char **);
int vm_lock_dup(struct vm *);
void vm_lock_adopt(struct vm *, int);
void vm_profile_states(struct profile *const *, size_t, enum model_vm_state *);

extern const struct engine_component vm_component;

#endif /* BERTH_VM_H */
