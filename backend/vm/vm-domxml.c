/*
 * vm-domxml.c: libvirt domain XML, built and read with libxml2's tree and
 * XPath APIs (never by pasting strings, so a path with '&' or '<' stays a
 * path). domxml_build() makes the domain berth defines for a profile;
 * domxml_parse() reads what berth needs from any domain, including ones
 * made elsewhere (virt-manager), which berth adopts as they are.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "vm/vm.h"

#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

static xmlNodePtr add(xmlNodePtr, const char *, const char *);
static void prop(xmlNodePtr, const char *, const char *);

static xmlNodePtr
add(xmlNodePtr parent, const char *name, const char *text)
{
	xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST name, NULL);

	if (text != NULL)
		xmlNodeAddContent(n, BAD_CAST text); /* escapes as needed */
	return n;
}

static void
prop(xmlNodePtr n, const char *name, const char *value)
{
	xmlNewProp(n, BAD_CAST name, BAD_CAST value);
}

static void
prop_int(xmlNodePtr n, const char *name, long long v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%lld", v);
	prop(n, name, buf);
}

static xmlNodePtr
add_kib(xmlNodePtr parent, const char *name, uint64_t bytes)
{
	char buf[32];
	xmlNodePtr n;

	snprintf(buf, sizeof buf, "%llu", (unsigned long long)(bytes >> 10));
	n = add(parent, name, buf);
	prop(n, "unit", "KiB");
	return n;
}

/* The user-mode NIC with an SSH forward, passed to QEMU directly. */
static void
build_qemu_commandline(xmlNodePtr root, const struct domxml_spec *s)
{
	xmlNsPtr ns = xmlNewNs(root, BAD_CAST QEMU_NS, BAD_CAST "qemu");
	xmlNodePtr cl, a;
	char *v;
	int pc = s->arch == NULL || strcmp(s->arch, "x86_64") == 0;

	cl = xmlNewChild(root, ns, BAD_CAST "commandline", NULL);
	a = xmlNewChild(cl, ns, BAD_CAST "arg", NULL);
	prop(a, "value", "-netdev");
	v = xasprintf("user,id=berthnet0,hostfwd=tcp:127.0.0.1:%d-:22",
	              s->ssh_port);
	a = xmlNewChild(cl, ns, BAD_CAST "arg", NULL);
	prop(a, "value", v);
	free(v);
	a = xmlNewChild(cl, ns, BAD_CAST "arg", NULL);
	prop(a, "value", "-device");
	/*
	 * libvirt does not know this NIC, so it may give its PCI slot to
	 * another device: pin it to a slot libvirt leaves free.
	 */
	if (pc)
		v = xstrdup("virtio-net-pci,netdev=berthnet0,id=berthnic0,"
		            "bus=pci.0,addr=0x1e");
	else
		v = xstrdup("virtio-net-pci,netdev=berthnet0,id=berthnic0");
	a = xmlNewChild(cl, ns, BAD_CAST "arg", NULL);
	prop(a, "value", v);
	free(v);
}

/*
 * Build the XML of a new domain from a spec. Returns a string the caller
 * frees, or NULL with *cause set.
 */
char *
domxml_build(const struct domxml_spec *s, char **cause)
{
	xmlDocPtr doc;
	xmlNodePtr root, n, os, dev, md, d;
	xmlNsPtr bns;
	xmlChar *out = NULL;
	int len = 0, x86;
	size_t i;
	char *ret, buf[32];

	if (s->name == NULL || *s->name == '\0') {
		util_set_cause(cause, "domain name is empty");
		return NULL;
	}
	if (s->vcpus < 1 || s->vcpus_max < s->vcpus) {
		util_set_cause(cause, "bad vCPU count %d (maximum %d)",
		               s->vcpus, s->vcpus_max);
		return NULL;
	}
	if (s->memory == 0 || s->memory_max < s->memory) {
		util_set_cause(cause, "bad memory size");
		return NULL;
	}
	if (s->kernel == NULL && !(s->disk != NULL && s->disk_boot)) {
		util_set_cause(cause, "nothing to boot: set vm.image or "
		                      "vm.kernel in the profile");
		return NULL;
	}
	x86 = s->arch == NULL || strcmp(s->arch, "x86_64") == 0;

	doc = xmlNewDoc(BAD_CAST "1.0");
	root = xmlNewNode(NULL, BAD_CAST "domain");
	xmlDocSetRootElement(doc, root);
	prop(root, "type", s->type != NULL ? s->type : "qemu");
	add(root, "name", s->name);

	md = add(root, "metadata", NULL);
	bns = xmlNewNs(NULL, BAD_CAST DOMXML_NS, BAD_CAST "berth");
	n = xmlNewChild(md, NULL, BAD_CAST "berth", NULL);
	xmlSetNs(n, bns);
	n->nsDef = bns;
	d = xmlNewChild(n, bns, BAD_CAST "profile", NULL);
	xmlNodeAddContent(d, BAD_CAST(s->profile != NULL ? s->profile : ""));

	add_kib(root, "memory", s->memory_max);
	add_kib(root, "currentMemory", s->memory);
	snprintf(buf, sizeof buf, "%d", s->vcpus_max);
	n = add(root, "vcpu", buf);
	prop(n, "placement", "static");
	prop_int(n, "current", s->vcpus);

	os = add(root, "os", NULL);
	n = add(os, "type", "hvm");
	prop(n, "arch", s->arch != NULL ? s->arch : "x86_64");
	prop(n, "machine", x86 ? "pc" : "virt");
	/*
	 * aarch64 guests boot their disk through UEFI: the firmware given
	 * (Homebrew QEMU's on a Mac, AAVMF on Debian), else libvirt's pick.
	 */
	if (!x86 && s->kernel == NULL) {
		if (s->firmware != NULL) {
			n = add(os, "loader", s->firmware);
			prop(n, "readonly", "yes");
			prop(n, "type", "pflash");
		} else
			prop(os, "firmware", "efi");
	}
	if (s->kernel != NULL) {
		add(os, "kernel", s->kernel);
		if (s->initrd != NULL)
			add(os, "initrd", s->initrd);
		if (s->cmdline != NULL)
			add(os, "cmdline", s->cmdline);
	} else
		prop(add(os, "boot", NULL), "dev", "hd");
	/* image.h: the cloud-init seed over HTTP (no ISO tool on the host). */
	if (s->smbios_serial != NULL) {
		prop(add(os, "smbios", NULL), "mode", "sysinfo");
		n = add(root, "sysinfo", NULL);
		prop(n, "type", "smbios");
		prop(add(add(n, "system", NULL), "entry", s->smbios_serial),
		     "name", "serial");
	}

	n = add(root, "features", NULL);
	if (x86)
		add(n, "acpi", NULL);
	/* virt's default CPU is 32-bit: the host's (hvf, kvm) or a 64-bit one
	 */
	if (!x86) {
		n = add(root, "cpu", NULL);
		if (s->type != NULL && (strcmp(s->type, "hvf") == 0 ||
		                        strcmp(s->type, "kvm") == 0))
			prop(n, "mode", "host-passthrough");
		else {
			prop(n, "mode", "custom");
			prop(n, "match", "exact");
			prop(add(n, "model", "cortex-a57"), "fallback",
			     "forbid");
		}
	}
	prop(add(root, "clock", NULL), "offset", "utc");
	add(root, "on_poweroff", "destroy");
	add(root, "on_reboot", "restart");
	add(root, "on_crash", "destroy");

	dev = add(root, "devices", NULL);
	if (x86) {
		n = add(dev, "controller", NULL);
		prop(n, "type", "usb");
		prop(n, "model", "none");
	}
	if (s->disk != NULL) {
		d = add(dev, "disk", NULL);
		prop(d, "type", "file");
		prop(d, "device", "disk");
		n = add(d, "driver", NULL);
		prop(n, "name", "qemu");
		prop(n, "type",
		     s->disk_format != NULL ? s->disk_format : "raw");
		/* the guest's TRIM frees the host file's blocks */
		prop(n, "discard", "unmap");
		prop(add(d, "source", NULL), "file", s->disk);
		n = add(d, "target", NULL);
		prop(n, "dev", "vda");
		prop(n, "bus", "virtio");
	}
	/* image.h: the data disk and the seed, found by their serials. */
	if (s->data_disk != NULL) {
		d = add(dev, "disk", NULL);
		prop(d, "type", "file");
		prop(d, "device", "disk");
		n = add(d, "driver", NULL);
		prop(n, "name", "qemu");
		prop(n, "type", "qcow2");
		prop(n, "discard", "unmap");
		prop(add(d, "source", NULL), "file", s->data_disk);
		n = add(d, "target", NULL);
		prop(n, "dev", "vdb");
		prop(n, "bus", "virtio");
		add(d, "serial", "berth-data");
	}
	if (s->seed != NULL) {
		d = add(dev, "disk", NULL);
		prop(d, "type", "file");
		prop(d, "device", "disk");
		n = add(d, "driver", NULL);
		prop(n, "name", "qemu");
		prop(n, "type", "raw");
		prop(add(d, "source", NULL), "file", s->seed);
		n = add(d, "target", NULL);
		prop(n, "dev", "vdc");
		prop(n, "bus", "virtio");
		add(d, "readonly", NULL);
		add(d, "serial", "cidata");
	}
	for (i = 0; i < s->nmounts; i++) {
		const struct domxml_mount *m = &s->mounts[i];

		d = add(dev, "filesystem", NULL);
		prop(d, "type", "mount");
		prop(d, "accessmode", "passthrough");
		if (m->virtiofs) {
			n = add(d, "driver", NULL);
			prop(n, "type", "virtiofs");
		}
		prop(add(d, "source", NULL), "dir", m->host);
		prop(add(d, "target", NULL), "dir", m->tag);
		if (m->readonly)
			add(d, "readonly", NULL);
	}
	d = add(dev, "channel", NULL);
	prop(d, "type", "unix");
	n = add(d, "target", NULL);
	prop(n, "type", "virtio");
	prop(n, "name", "org.qemu.guest_agent.0");
	if (s->serial_log != NULL) {
		d = add(dev, "serial", NULL);
		prop(d, "type", "file");
		n = add(d, "source", NULL);
		prop(n, "path", s->serial_log);
		prop(n, "append", "off");
		prop(add(d, "target", NULL), "port", "0");
	}
	d = add(dev, "memballoon", NULL);
	prop(d, "model", "virtio");
	/*
	 * Pages the guest frees go back to the host, and the balloon gives
	 * memory back to a guest that would otherwise run out of it.
	 */
	if (s->free_page_reporting) {
		prop(d, "autodeflate", "on");
		prop(d, "freePageReporting", "on");
	}
	prop(add(d, "stats", NULL), "period", "2");
	d = add(dev, "rng", NULL);
	prop(d, "model", "virtio");
	n = add(d, "backend", "/dev/urandom");
	prop(n, "model", "random");

	/* virtiofs needs shared memory. */
	for (i = 0; i < s->nmounts; i++) {
		if (s->mounts[i].virtiofs) {
			n = add(root, "memoryBacking", NULL);
			prop(add(n, "source", NULL), "type", "memfd");
			prop(add(n, "access", NULL), "mode", "shared");
			break;
		}
	}
	if (s->ssh_port > 0)
		build_qemu_commandline(root, s);

	xmlDocDumpFormatMemoryEnc(doc, &out, &len, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (out == NULL) {
		util_set_cause(cause, "cannot serialise the domain XML");
		return NULL;
	}
	ret = xstrndup((const char *)out, (size_t)len);
	xmlFree(out);
	return ret;
}

/* XPath helpers over one parsed document. */
static char *
xp_str(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	char *s = NULL;
	xmlChar *v;

	if (o == NULL)
		return NULL;
	if (o->type == XPATH_NODESET && o->nodesetval != NULL &&
	    o->nodesetval->nodeNr > 0) {
		v = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
		if (v != NULL) {
			s = xstrdup((const char *)v);
			xmlFree(v);
		}
	}
	xmlXPathFreeObject(o);
	return s;
}

/* A node's attribute, or NULL; the caller frees. */
static char *
attr(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);
	char *s;

	if (v == NULL)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

/* The first child element called name, or NULL. */
static xmlNodePtr
child(xmlNodePtr n, const char *name)
{
	for (n = n->children; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0)
			return n;
	}
	return NULL;
}

static char *
child_attr(xmlNodePtr n, const char *name, const char *a)
{
	xmlNodePtr c = child(n, name);

	return c != NULL ? attr(c, a) : NULL;
}

/* A size element with its unit attribute, in bytes. */
static uint64_t
xp_size(xmlXPathContextPtr ctx, const char *expr)
{
	static const struct {
		const char *unit;
		uint64_t mul;
	} units[] = {
	    {"b", 1},          {"bytes", 1},        {"KB", 1000},
	    {"k", 1024},       {"KiB", 1024},       {"MB", 1000000},
	    {"M", 1 << 20},    {"MiB", 1 << 20},    {"GB", 1000000000},
	    {"G", 1 << 30},    {"GiB", 1 << 30},    {"TB", 1000000000000ULL},
	    {"T", 1ULL << 40}, {"TiB", 1ULL << 40},
	};
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	uint64_t v = 0, mul = 1024;
	char *text, *unit;
	size_t i;

	if (o == NULL)
		return 0;
	if (o->type == XPATH_NODESET && o->nodesetval != NULL &&
	    o->nodesetval->nodeNr > 0) {
		xmlNodePtr n = o->nodesetval->nodeTab[0];
		xmlChar *c = xmlNodeGetContent(n);

		text = c != NULL ? xstrdup((const char *)c) : NULL;
		xmlFree(c);
		unit = attr(n, "unit");
		if (unit != NULL) {
			for (i = 0; i < nitems(units); i++) {
				if (strcmp(units[i].unit, unit) == 0)
					mul = units[i].mul;
			}
		}
		if (text != NULL)
			v = strtoull(text, NULL, 10) * mul;
		free(text);
		free(unit);
	}
	xmlXPathFreeObject(o);
	return v;
}

static xmlNodeSetPtr
xp_nodes(xmlXPathContextPtr ctx, const char *expr, xmlXPathObjectPtr *op)
{
	*op = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	if (*op == NULL || (*op)->type != XPATH_NODESET)
		return NULL;
	return (*op)->nodesetval;
}

/* Find "hostfwd=tcp:ADDR:PORT-:22" in the qemu:commandline arguments. */
static int
parse_ssh_port(xmlXPathContextPtr ctx)
{
	xmlXPathObjectPtr o;
	xmlNodeSetPtr ns =
	    xp_nodes(ctx, "/domain/qemu:commandline/qemu:arg", &o);
	int i, port = 0;

	for (i = 0; ns != NULL && i < ns->nodeNr && port == 0; i++) {
		char *v = attr(ns->nodeTab[i], "value"), *p, *end;
		long hp;

		if (v == NULL)
			continue;
		for (p = strstr(v, "hostfwd=tcp:"); p != NULL;
		     p = strstr(p + 1, "hostfwd=tcp:")) {
			char *dash = strstr(p, "-:"), *colon;

			if (dash == NULL)
				break;
			if (strncmp(dash + 2, "22", 2) != 0 ||
			    (dash[4] != '\0' && dash[4] != ','))
				continue;
			/* the host port is the number before "-:" */
			colon = dash;
			while (colon > p && colon[-1] != ':')
				colon--;
			hp = strtol(colon, &end, 10);
			if (end == dash && hp > 0 && hp < 65536) {
				port = (int)hp;
				break;
			}
		}
		free(v);
	}
	xmlXPathFreeObject(o);
	return port;
}

/* Read the accelerator, resources and devices from a domain's XML. */
int
domxml_parse(const char *xml, struct domxml_info *info, char **cause)
{
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr o;
	xmlNodeSetPtr ns;
	xmlNodePtr root;
	char *s;
	int i;

	memset(info, 0, sizeof *info);
	doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
	                    XML_PARSE_NONET | XML_PARSE_NOERROR |
	                        XML_PARSE_NOWARNING);
	if (doc == NULL) {
		const xmlError *e = xmlGetLastError();

		util_set_cause(cause, "domain XML does not parse: %s",
		               e != NULL && e->message != NULL
		                   ? e->message
		                   : "syntax error");
		if (cause != NULL && *cause != NULL) {
			size_t l = strlen(*cause);

			while (l > 0 && ((*cause)[l - 1] == '\n'))
				(*cause)[--l] = '\0';
		}
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || strcmp((const char *)root->name, "domain") != 0) {
		util_set_cause(cause, "not a libvirt domain XML (root element "
		                      "is not <domain>)");
		xmlFreeDoc(doc);
		return -1;
	}
	ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "qemu", BAD_CAST QEMU_NS);
	xmlXPathRegisterNs(ctx, BAD_CAST "berth", BAD_CAST DOMXML_NS);

	info->name = xp_str(ctx, "/domain/name");
	info->type = attr(root, "type");
	info->profile = xp_str(ctx, "/domain/metadata/berth:berth/"
	                            "berth:profile");
	info->berth = info->profile != NULL;
	info->memory_max = xp_size(ctx, "/domain/memory");
	info->memory = xp_size(ctx, "/domain/currentMemory");
	if (info->memory == 0)
		info->memory = info->memory_max;
	if ((s = xp_str(ctx, "/domain/vcpu")) != NULL) {
		info->vcpus_max = atoi(s);
		free(s);
	}
	if ((s = xp_str(ctx, "/domain/vcpu/@current")) != NULL) {
		info->vcpus = atoi(s);
		free(s);
	} else
		info->vcpus = info->vcpus_max;

	ns = xp_nodes(ctx, "/domain/devices/disk", &o);
	if (ns != NULL && ns->nodeNr > 0) {
		info->disks = xcalloc((size_t)ns->nodeNr, sizeof *info->disks);
		for (i = 0; i < ns->nodeNr; i++) {
			xmlNodePtr n = ns->nodeTab[i];
			struct domxml_disk *d = &info->disks[info->ndisks++];

			d->device = attr(n, "device");
			d->target = child_attr(n, "target", "dev");
			d->source = child_attr(n, "source", "file");
			d->format = child_attr(n, "driver", "type");
		}
	}
	xmlXPathFreeObject(o);

	ns = xp_nodes(ctx, "/domain/devices/filesystem", &o);
	if (ns != NULL && ns->nodeNr > 0) {
		info->fs = xcalloc((size_t)ns->nodeNr, sizeof *info->fs);
		for (i = 0; i < ns->nodeNr; i++) {
			xmlNodePtr n = ns->nodeTab[i];
			struct domxml_fs *f = &info->fs[info->nfs++];

			f->source = child_attr(n, "source", "dir");
			f->target = child_attr(n, "target", "dir");
			f->driver = child_attr(n, "driver", "type");
			if (f->driver == NULL ||
			    strcmp(f->driver, "virtiofs") != 0) {
				free(f->driver);
				f->driver = xstrdup("9p");
			}
			f->readonly = child(n, "readonly") != NULL;
		}
	}
	xmlXPathFreeObject(o);

	s = xp_str(ctx, "/domain/devices/channel/target"
	                "[@name='org.qemu.guest_agent.0']/@name");
	info->agent = s != NULL;
	free(s);
	info->serial_log = xp_str(ctx, "/domain/devices/serial[@type='file']"
	                               "/source/@path");
	info->ssh_port = parse_ssh_port(ctx);

	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return 0;
}

/*
 * Does the domain share the host folder dir (a <filesystem> whose source
 * is dir)? Compared after XML unescaping, so any quoting libvirt picks
 * for & ' " < > matches.
 */
int
domxml_has_fs(const struct domxml_info *info, const char *dir)
{
	size_t i;

	for (i = 0; i < info->nfs; i++) {
		if (info->fs[i].source != NULL &&
		    strcmp(info->fs[i].source, dir) == 0)
			return 1;
	}
	return 0;
}

void
domxml_info_free(struct domxml_info *info)
{
	size_t i;

	free(info->name);
	free(info->type);
	free(info->profile);
	for (i = 0; i < info->ndisks; i++) {
		free(info->disks[i].target);
		free(info->disks[i].source);
		free(info->disks[i].format);
		free(info->disks[i].device);
	}
	free(info->disks);
	for (i = 0; i < info->nfs; i++) {
		free(info->fs[i].source);
		free(info->fs[i].target);
		free(info->fs[i].driver);
	}
	free(info->fs);
	free(info->serial_log);
	memset(info, 0, sizeof *info);
}

/* The name users see for a domain type: qemu means TCG. */
const char *
domxml_accel_name(const char *type)
{
	if (type == NULL)
		return "unknown";
	if (strcmp(type, "qemu") == 0)
		return "tcg";
	return type;
}
