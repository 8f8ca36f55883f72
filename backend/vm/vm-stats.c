/*
 * vm-stats.c: one refresh of a struct vm. The domain's state, its
 * resources (from the XML when it changed) and its stats come from one
 * virConnectGetAllDomainStats call per refresh; rates are the difference
 * to the previous sample. What only the guest knows (OS, addresses,
 * uptime) comes from the guest agent, cached in the state dir.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "vm/vm.h"

#define VM_FACTS_EVERY_MS 10000

static int
param_ull(const virTypedParameterPtr p, int n, const char *name,
          unsigned long long *v)
{
	return virTypedParamsGetULLong(p, n, name, v) == 1;
}

static double
rate(uint64_t now, uint64_t prev, uint64_t dt_ms)
{
	if (dt_ms == 0 || now < prev)
		return 0;
	return (double)(now - prev) * 1000.0 / (double)dt_ms;
}

/*
 * The guest's filesystem on the main disk (the biggest one on it, not
 * an EFI partition): its size and free bytes, from the agent's fsinfo,
 * matched by the disk's target, which libvirt gives as the alias.
 */
static void
vm_apply_fs(struct vm *vm, virTypedParameterPtr p, int n)
{
	unsigned int fsc = 0, dc;
	unsigned long long total, used;
	const char *alias, *target;
	char key[64];
	int i, j, di;

	if (virTypedParamsGetUInt(p, n, "fs.count", &fsc) != 1 ||
	    !vm->have_info || (di = vm_main_disk(&vm->info)) < 0 ||
	    (target = vm->info.disks[di].target) == NULL)
		return;
	vm->m.disk_guest_size = vm->m.disk_guest_free = 0;
	for (i = 0; i < (int)fsc; i++) {
		snprintf(key, sizeof key, "fs.%d.total-bytes", i);
		if (!param_ull(p, n, key, &total))
			continue;
		snprintf(key, sizeof key, "fs.%d.used-bytes", i);
		if (!param_ull(p, n, key, &used) || used > total ||
		    total <= vm->m.disk_guest_size)
			continue;
		dc = 0;
		snprintf(key, sizeof key, "fs.%d.disk.count", i);
		virTypedParamsGetUInt(p, n, key, &dc);
		for (j = 0; j < (int)dc; j++) {
			snprintf(key, sizeof key, "fs.%d.disk.%d.alias", i, j);
			if (virTypedParamsGetString(p, n, key, &alias) == 1 &&
			    strcmp(alias, target) == 0) {
				vm->m.disk_guest_size = total;
				vm->m.disk_guest_free = total - used;
				break;
			}
		}
	}
}

/* Take hostname, OS and the first IPv4 address from agent answers. */
static void
vm_apply_facts(struct vm *vm, virTypedParameterPtr p, int n)
{
	unsigned int ifc = 0, ac;
	const char *s, *type, *addr;
	char key[64];
	int i, j;

	vm_apply_fs(vm, p, n);

	if (virTypedParamsGetString(p, n, "hostname", &s) == 1) {
		free(vm->m.hostname);
		vm->m.hostname = util_sanitize_dup(s, strlen(s));
	}
	if (virTypedParamsGetString(p, n, "os.pretty-name", &s) == 1 ||
	    virTypedParamsGetString(p, n, "os.name", &s) == 1 ||
	    virTypedParamsGetString(p, n, "os.kernel-release", &s) == 1) {
		free(vm->m.os);
		vm->m.os = util_sanitize_dup(s, strlen(s));
	}
	if (virTypedParamsGetUInt(p, n, "if.count", &ifc) != 1)
		return;
	for (i = 0; i < (int)ifc; i++) {
		snprintf(key, sizeof key, "if.%d.addr.count", i);
		ac = 0;
		virTypedParamsGetUInt(p, n, key, &ac);
		for (j = 0; j < (int)ac; j++) {
			snprintf(key, sizeof key, "if.%d.addr.%d.type", i, j);
			if (virTypedParamsGetString(p, n, key, &type) != 1 ||
			    strcmp(type, "ipv4") != 0)
				continue;
			snprintf(key, sizeof key, "if.%d.addr.%d.addr", i, j);
			if (virTypedParamsGetString(p, n, key, &addr) != 1 ||
			    strncmp(addr, "127.", 4) == 0)
				continue;
			free(vm->m.ip);
			vm->m.ip = util_sanitize_dup(addr, strlen(addr));
			return;
		}
	}
}

/*
 * Guest facts from the agent: one call for hostname, OS and interfaces;
 * when a guest cannot answer one of them, ask for each on its own.
 */
static void
vm_read_facts(struct vm *vm)
{
	static const unsigned int types[] = {
	    VIR_DOMAIN_GUEST_INFO_HOSTNAME,
	    VIR_DOMAIN_GUEST_INFO_OS,
	    VIR_DOMAIN_GUEST_INFO_INTERFACES,
	    VIR_DOMAIN_GUEST_INFO_FILESYSTEM,
	};
	virTypedParameterPtr p = NULL;
	int n = 0, ok = 0;
	size_t i;

	if (vm->is_test || vm->dom == NULL)
		return;
	if (virDomainGetGuestInfo(vm->dom,
	                          types[0] | types[1] | types[2] | types[3], &p,
	                          &n, 0) == 0) {
		vm_apply_facts(vm, p, n);
		virTypedParamsFree(p, n);
		vm->m.agent = 1;
		return;
	}
	for (i = 0; i < nitems(types); i++) {
		p = NULL;
		n = 0;
		if (virDomainGetGuestInfo(vm->dom, types[i], &p, &n, 0) != 0)
			continue;
		ok = 1;
		vm_apply_facts(vm, p, n);
		virTypedParamsFree(p, n);
	}
	vm->m.agent = ok;
}

/*
 * Guest facts are cached in the state dir for VM_FACTS_EVERY_MS, keyed by
 * the domain's run id, so a one-shot `berth status` next to a dashboard
 * (or right after another status) does not wait for the agent again.
 */
static char *
vm_facts_path(const struct vm *vm)
{
	return xasprintf("%s/guest-facts.json", vm->state_dir);
}

static void
vm_facts_save(struct vm *vm)
{
	json_t *o = json_object();
	char *path, *text;

	json_object_set_new(o, "domain", json_string(vm->domain));
	json_object_set_new(o, "id",
	                    json_integer((json_int_t)virDomainGetID(vm->dom)));
	json_object_set_new(o, "time_ms",
	                    json_integer((json_int_t)util_now_ms()));
	if (vm->m.hostname != NULL)
		json_object_set_new(o, "hostname", json_string(vm->m.hostname));
	if (vm->m.os != NULL)
		json_object_set_new(o, "os", json_string(vm->m.os));
	if (vm->m.ip != NULL)
		json_object_set_new(o, "ip", json_string(vm->m.ip));
	if (vm->m.disk_guest_size > 0) {
		json_object_set_new(
		    o, "fs_size",
		    json_integer((json_int_t)vm->m.disk_guest_size));
		json_object_set_new(
		    o, "fs_free",
		    json_integer((json_int_t)vm->m.disk_guest_free));
	}
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text != NULL && util_mkdir_p(vm->state_dir, 0700, NULL) == 0) {
		path = vm_facts_path(vm);
		util_write_file_atomic(path, text, strlen(text), 0600, 0, NULL);
		free(path);
	}
	free(text);
}

/* Use cached facts when they are for this run and fresh: 0, else -1. */
static int
vm_facts_load(struct vm *vm)
{
	char *path = vm_facts_path(vm), *text;
	json_t *o, *v;
	int r = -1;
	uint64_t t, now = util_now_ms();

	text = util_read_file(path, NULL, NULL);
	free(path);
	if (text == NULL)
		return -1;
	o = json_loads(text, 0, NULL);
	free(text);
	if (o == NULL)
		return -1;
	t = (uint64_t)json_integer_value(json_object_get(o, "time_ms"));
	if (util_streq(json_string_value(json_object_get(o, "domain")),
	               vm->domain) &&
	    json_integer_value(json_object_get(o, "id")) ==
	        (json_int_t)virDomainGetID(vm->dom) &&
	    t <= now && now - t < VM_FACTS_EVERY_MS) {
		if ((v = json_object_get(o, "hostname")) != NULL &&
		    json_is_string(v)) {
			free(vm->m.hostname);
			vm->m.hostname = util_sanitize_dup(
			    json_string_value(v), strlen(json_string_value(v)));
		}
		if ((v = json_object_get(o, "os")) != NULL &&
		    json_is_string(v)) {
			free(vm->m.os);
			vm->m.os = util_sanitize_dup(
			    json_string_value(v), strlen(json_string_value(v)));
		}
		if ((v = json_object_get(o, "ip")) != NULL &&
		    json_is_string(v)) {
			free(vm->m.ip);
			vm->m.ip = util_sanitize_dup(
			    json_string_value(v), strlen(json_string_value(v)));
		}
		v = json_object_get(o, "fs_size");
		if (json_is_integer(v) && json_integer_value(v) > 0) {
			vm->m.disk_guest_size = (uint64_t)json_integer_value(v);
			v = json_object_get(o, "fs_free");
			vm->m.disk_guest_free =
			    json_is_integer(v) && json_integer_value(v) >= 0
			        ? (uint64_t)json_integer_value(v)
			        : 0;
		}
		vm->m.agent = 1;
		r = 0;
	}
	json_decref(o);
	return r;
}

/* Disk i is an image VM's data disk (data.qcow2, /var/lib/docker). */
int
vm_disk_is_data(const struct domxml_info *info, int i)
{
	const char *src = info->disks[i].source;
	size_t l;

	return src != NULL && (l = strlen(src)) >= 11 &&
	       strcmp(src + l - 11, "/data.qcow2") == 0;
}

/*
 * The disk vm.disk sizes: an image VM's data disk (data.qcow2, holding
 * /var/lib/docker), else the first real disk. -1 when there is none.
 */
int
vm_main_disk(const struct domxml_info *info)
{
	size_t i;
	int first = -1;

	for (i = 0; i < info->ndisks; i++) {
		const struct domxml_disk *d = &info->disks[i];

		if (d->device != NULL && strcmp(d->device, "disk") != 0)
			continue;
		if (vm_disk_is_data(info, (int)i))
			return (int)i;
		if (first == -1)
			first = (int)i;
	}
	return first;
}

/* Which disk vm_main_disk chose, for the model: the data disk or not. */
static int
vm_disk_kind(const struct domxml_info *info, int i)
{
	return vm_disk_is_data(info, i) ? MODEL_DISK_DATA : MODEL_DISK_FIRST;
}

/* Disk size when libvirt's stats do not say: block info, else the file. */
static void
vm_disk_offline(struct vm *vm)
{
	virDomainBlockInfo bi;
	struct stat sb;
	const struct domxml_disk *d;
	int i;

	vm->m.disk_capacity = vm->m.disk_allocation = 0;
	vm->m.disk_kind = MODEL_DISK_NONE;
	if (!vm->have_info || (i = vm_main_disk(&vm->info)) < 0)
		return;
	d = &vm->info.disks[i];
	if (!vm->is_test && d->target != NULL &&
	    virDomainGetBlockInfo(vm->dom, d->target, &bi, 0) == 0) {
		vm->m.disk_capacity = bi.capacity;
		vm->m.disk_allocation = bi.allocation;
		vm->m.disk_kind = vm_disk_kind(&vm->info, i);
		return;
	}
	if (d->source != NULL && stat(d->source, &sb) == 0) {
		vm->m.disk_capacity = (uint64_t)sb.st_size;
		vm->m.disk_allocation = (uint64_t)sb.st_blocks * 512;
		vm->m.disk_kind = vm_disk_kind(&vm->info, i);
	}
}

/*
 * Uptime of a local QEMU from its pid file (system or session daemon),
 * when berth did not see it start; remote domains show 0 until then.
 */
static void
vm_uptime_local(struct vm *vm)
{
	const char *rt = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	char *dirs[2] = {NULL, NULL}, *path;
	struct stat sb;
	size_t i;

	if (vm->started_ms != 0 || strncmp(vm->uri, "qemu:///", 8) != 0)
		return;
	if (strncmp(vm->uri, "qemu:///session", 15) == 0) {
		if (rt != NULL && *rt == '/')
			dirs[0] = xasprintf("%s/libvirt/qemu/run", rt);
		if (home != NULL && *home == '/')
			dirs[1] = xasprintf("%s/.cache/libvirt/qemu/run", home);
	} else {
		dirs[0] = xstrdup("/run/libvirt/qemu");
		dirs[1] = xstrdup("/var/run/libvirt/qemu");
	}
	for (i = 0; i < nitems(dirs) && vm->started_ms == 0; i++) {
		if (dirs[i] == NULL)
			continue;
		path = xasprintf("%s/%s.pid", dirs[i], vm->domain);
		if (stat(path, &sb) == 0)
			vm->started_ms = (uint64_t)sb.st_mtime * 1000;
		free(path);
	}
	free(dirs[0]);
	free(dirs[1]);
}

/*
 * Refresh the model: one virConnectGetAllDomainStats call for the state,
 * CPU, balloon, vCPU, block and network counters; rates from the previous
 * sample. With facts set, also ask the guest agent (when due).
 */
int
vm_refresh(struct vm *vm, int facts, char **cause)
{
	virDomainStatsRecordPtr *recs = NULL, rec = NULL;
	unsigned int types =
	    VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
	    VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |
	    VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK;
	unsigned long long v, cpu = 0, rd = 0, wr = 0, rx = 0, tx = 0;
	unsigned int cnt;
	int i, n, st = 0, reason = 0, nv = 0, have_vcpu, have_balloon, di_main;
	uint64_t now = util_mono_ms(), dt;
	char key[64];
	virDomainInfo di;
	virDomainPtr doms[2];

	if (vm->conn == NULL) {
		util_set_cause(cause, "%s",
		               vm->m.conn_error != NULL
		                   ? vm->m.conn_error
		                   : "libvirt: not connected");
		return -1;
	}
	if (vm->dom == NULL && vm_lookup(vm) != 0)
		return 0;
	vm_read_info(vm);

	/*
	 * The stats RPC of virConnectGetAllDomainStats, restricted to this
	 * domain: asking for every domain on a busy host queries every
	 * other QEMU too.
	 */
	doms[0] = vm->dom;
	doms[1] = NULL;
	n = virDomainListGetStats(doms, types, &recs, 0);
	if (n < 0) {
		util_set_cause(cause, "libvirt: %s", vm_last_error());
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *name = virDomainGetName(recs[i]->dom);

		if (name != NULL && strcmp(name, vm->domain) == 0)
			rec = recs[i];
	}
	if (rec == NULL) {
		/* gone since the lookup */
		virDomainStatsRecordListFree(recs);
		if (vm->dom != NULL)
			virDomainFree(vm->dom);
		vm->dom = NULL;
		vm->m.state = MODEL_VM_NOT_CREATED;
		return 0;
	}
	virTypedParamsGetInt(rec->params, rec->nparams, "state.state", &st);
	virTypedParamsGetInt(rec->params, rec->nparams, "state.reason",
	                     &reason);
	vm->m.state = vm_map_state(st);
	vm_set_reason(vm, st, reason);
	dt = vm->have_prev ? now - vm->prev_ms : 0;

	cnt = 0;
	have_vcpu = virTypedParamsGetUInt(rec->params, rec->nparams,
	                                  "vcpu.current", &cnt) == 1;
	if (have_vcpu) {
		vm->m.vcpus = (int)cnt;
		if (virTypedParamsGetUInt(rec->params, rec->nparams,
		                          "vcpu.maximum", &cnt) == 1)
			vm->m.vcpus_max = (int)cnt;
		nv = vm->m.vcpus_max;
	}
	have_balloon =
	    param_ull(rec->params, rec->nparams, "balloon.current", &v);
	if (have_balloon) {
		vm->m.mem_current = (uint64_t)v << 10;
		if (param_ull(rec->params, rec->nparams, "balloon.maximum", &v))
			vm->m.mem_max = (uint64_t)v << 10;
		vm->m.mem_used = vm->m.mem_available = vm->m.mem_rss = 0;
		if (param_ull(rec->params, rec->nparams, "balloon.rss", &v))
			vm->m.mem_rss = (uint64_t)v << 10;
		if (param_ull(rec->params, rec->nparams, "balloon.available",
		              &v)) {
			unsigned long long usable;

			vm->m.mem_available = (uint64_t)v << 10;
			if (param_ull(rec->params, rec->nparams,
			              "balloon.usable", &usable) &&
			    usable <= v)
				vm->m.mem_used = (uint64_t)(v - usable) << 10;
		}
	}
	if ((!have_vcpu || !have_balloon) && vm->dom != NULL &&
	    virDomainGetInfo(vm->dom, &di) == 0) {
		/* the test driver's stats carry only the state */
		if (!have_vcpu) {
			vm->m.vcpus = di.nrVirtCpu;
			vm->m.vcpus_max =
			    vm->have_info ? vm->info.vcpus_max : di.nrVirtCpu;
		}
		if (!have_balloon) {
			vm->m.mem_current = (uint64_t)di.memory << 10;
			vm->m.mem_max = (uint64_t)di.maxMem << 10;
		}
	}
	if (!vm_is_live(vm->m.state) && vm->have_info) {
		vm->m.vcpus = vm->info.vcpus;
		vm->m.vcpus_max = vm->info.vcpus_max;
		vm->m.mem_current = vm->info.memory;
		vm->m.mem_max = vm->info.memory_max;
	}
	/* What the next boot will use, when it differs from now. */
	vm->m.vcpus_pending = vm->m.mem_pending = 0;
	if (vm_is_live(vm->m.state) && vm->have_info) {
		if (vm->info.vcpus != vm->m.vcpus)
			vm->m.vcpus_pending = vm->info.vcpus;
		if (vm->info.memory != vm->m.mem_current && have_balloon &&
		    vm->info.memory > vm->m.mem_max)
			vm->m.mem_pending = vm->info.memory;
		else if (vm->info.memory_max != vm->m.mem_max &&
		         vm->info.memory > vm->m.mem_max)
			vm->m.mem_pending = vm->info.memory;
	}

	/* CPU: 100% is one host CPU busy. */
	param_ull(rec->params, rec->nparams, "cpu.time", &cpu);
	vm->m.cpu_pct =
	    dt > 0 && cpu >= vm->prev_cpu
	        ? (double)(cpu - vm->prev_cpu) / 1e6 / (double)dt * 100.0
	        : 0;
	if (nv > 0) {
		if (vm->nprev_vcpu != nv) {
			vm->prev_vcpu = xreallocarray(vm->prev_vcpu, (size_t)nv,
			                              sizeof(uint64_t));
			memset(vm->prev_vcpu, 0, (size_t)nv * sizeof(uint64_t));
			vm->nprev_vcpu = nv;
			dt = 0;
		}
		free(vm->m.vcpu_pct);
		vm->m.vcpu_pct = xcalloc((size_t)nv, sizeof(double));
		vm->m.nvcpu_pct = nv;
		for (i = 0; i < nv; i++) {
			v = 0;
			snprintf(key, sizeof key, "vcpu.%d.time", i);
			if (!param_ull(rec->params, rec->nparams, key, &v))
				continue;
			if (dt > 0 && v >= vm->prev_vcpu[i])
				vm->m.vcpu_pct[i] =
				    (double)(v - vm->prev_vcpu[i]) / 1e6 /
				    (double)dt * 100.0;
			vm->prev_vcpu[i] = v;
		}
	}

	cnt = 0;
	virTypedParamsGetUInt(rec->params, rec->nparams, "block.count", &cnt);
	for (i = 0; i < (int)cnt; i++) {
		snprintf(key, sizeof key, "block.%d.rd.bytes", i);
		if (param_ull(rec->params, rec->nparams, key, &v))
			rd += v;
		snprintf(key, sizeof key, "block.%d.wr.bytes", i);
		if (param_ull(rec->params, rec->nparams, key, &v))
			wr += v;
	}
	di_main = vm->have_info ? vm_main_disk(&vm->info) : -1;
	snprintf(key, sizeof key, "block.%d.capacity", di_main);
	if (di_main >= 0 && di_main < (int)cnt &&
	    param_ull(rec->params, rec->nparams, key, &v)) {
		vm->m.disk_capacity = v;
		vm->m.disk_kind = vm_disk_kind(&vm->info, di_main);
		/*
		 * physical is what the file takes on the host (QEMU's
		 * actual-size: its allocated blocks, smaller after a guest's
		 * TRIM); a running qcow2's allocation is only its highest
		 * written offset, which never shrinks.
		 */
		snprintf(key, sizeof key, "block.%d.physical", di_main);
		if (param_ull(rec->params, rec->nparams, key, &v))
			vm->m.disk_allocation = v;
		else {
			snprintf(key, sizeof key, "block.%d.allocation",
			         di_main);
			if (param_ull(rec->params, rec->nparams, key, &v))
				vm->m.disk_allocation = v;
		}
	} else
		vm_disk_offline(vm);
	cnt = 0;
	virTypedParamsGetUInt(rec->params, rec->nparams, "net.count", &cnt);
	for (i = 0; i < (int)cnt; i++) {
		snprintf(key, sizeof key, "net.%d.rx.bytes", i);
		if (param_ull(rec->params, rec->nparams, key, &v))
			rx += v;
		snprintf(key, sizeof key, "net.%d.tx.bytes", i);
		if (param_ull(rec->params, rec->nparams, key, &v))
			tx += v;
	}
	vm->m.rd_bps = dt > 0 ? rate(rd, vm->prev_rd, dt) : 0;
	vm->m.wr_bps = dt > 0 ? rate(wr, vm->prev_wr, dt) : 0;
	vm->m.rx_bps = dt > 0 ? rate(rx, vm->prev_rx, dt) : 0;
	vm->m.tx_bps = dt > 0 ? rate(tx, vm->prev_tx, dt) : 0;
	vm->prev_cpu = cpu;
	vm->prev_rd = rd;
	vm->prev_wr = wr;
	vm->prev_rx = rx;
	vm->prev_tx = tx;
	vm->prev_ms = now;
	vm->have_prev = 1;
	virDomainStatsRecordListFree(recs);

	if (vm_is_live(vm->m.state)) {
		vm_uptime_local(vm);
		vm->m.uptime_s =
		    vm->started_ms != 0 && util_now_ms() > vm->started_ms
		        ? (util_now_ms() - vm->started_ms) / 1000
		        : 0;
		if (facts && (vm->facts_at == 0 ||
		              now - vm->facts_at >= VM_FACTS_EVERY_MS)) {
			if (!vm->no_events || vm_facts_load(vm) != 0) {
				vm_read_facts(vm);
				if (vm->m.agent)
					vm_facts_save(vm);
			}
			vm->facts_at = now;
		}
		model_history_push(&vm->m.cpu_hist, (float)vm->m.cpu_pct);
		model_history_push(
		    &vm->m.mem_hist,
		    vm->m.mem_available > 0
		        ? (float)((double)vm->m.mem_used * 100.0 /
		                  (double)vm->m.mem_available)
		        : 0);
	} else {
		vm->m.uptime_s = 0;
		vm->started_ms = 0;
		vm->m.agent = 0;
		vm->m.cpu_pct = 0;
		vm->m.mem_rss = 0;
		vm->m.disk_guest_size = vm->m.disk_guest_free = 0;
		vm->facts_at = 0;
		free(vm->m.ip);
		vm->m.ip = NULL;
	}
	return 0;
}

/* Deep-copy the current model into a snapshot's VM part. */
void
vm_fill(struct vm *vm, struct model_vm *out)
{
	model_vm_clear(out);
	model_vm_copy(out, &vm->m);
}
