/*
 * dialog-resources.c: the resource editor (e in the VM pane). vCPUs,
 * memory and disk, each with the host's limit, whether the change is live
 * or applies on the next restart, and validation as you type. Enter sends
 * ENGINE_CMD_VM_SET for every changed field; Esc leaves everything as it
 * was.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/dashboard.h"

#define RES_FIELDS 3
#define RES_LEN    24

struct dialog_resources_data {
	char buf[RES_FIELDS][RES_LEN];
	char orig[RES_FIELDS][RES_LEN];
	int field;
	int fresh; /* the first key typed replaces the field's value */
};

static const char *const res_names[RES_FIELDS] = {"cpus", "memory", "disk"};

int
dialog_resources_open(struct dash *d)
{
	const struct model_vm *v = &d->model->vm;
	struct dialog_resources_data *r;
	char *s;
	int i;

	if (v->conn != MODEL_CONN_UP) {
		dash_set_status(d, 1,
		                "the VM is not connected: nothing to edit");
		return DASH_REDRAW;
	}
	r = xcalloc(1, sizeof *r);
	snprintf(r->buf[0], RES_LEN, "%d",
	         v->vcpus_pending > 0 ? v->vcpus_pending : v->vcpus);
	s = units_format_size(v->mem_pending > 0 ? v->mem_pending
	                                         : v->mem_current);
	snprintf(r->buf[1], RES_LEN, "%s", s);
	free(s);
	s = units_format_size(v->disk_capacity);
	snprintf(r->buf[2], RES_LEN, "%s", s);
	free(s);
	for (i = 0; i < RES_FIELDS; i++)
		memcpy(r->orig[i], r->buf[i], RES_LEN);
	r->fresh = 1;
	if (d->dialog != NULL)
		dash_close_dialog(d);
	d->dialog = &dialog_resources;
	d->dialog_data = r;
	return DASH_REDRAW;
}

/*
 * Check field i; returns NULL when fine, else a message (static). *note
 * says when the change takes effect.
 */
static const char *
res_check(const struct dash *d, const struct dialog_resources_data *r, int i,
          const char **note)
{
	const struct model_vm *v = &d->model->vm;
	static char msg[128];
	uint64_t size;
	char *cause = NULL, *end;
	long n;
	int running = v->state == MODEL_VM_RUNNING;

	*note = "";
	if (strcmp(r->buf[i], r->orig[i]) == 0) {
		*note = "unchanged";
		return NULL;
	}
	if (i == 0) {
		n = strtol(r->buf[i], &end, 10);
		if (*r->buf[i] == '\0' || *end != '\0' || n < 1)
			return "a whole number of vCPUs, 1 or more";
		if (v->host_cpus > 0 && n > v->host_cpus) {
			snprintf(msg, sizeof msg, "the host has %d CPUs",
			         v->host_cpus);
			return msg;
		}
		/* vCPUs are never unplugged live (vm_set_cpus): fewer wait */
		*note = running && n >= v->vcpus && n <= v->vcpus_max
		            ? "live"
		            : "applies on restart";
		return NULL;
	}
	if (units_parse_size(r->buf[i], &size, &cause) != 0) {
		snprintf(msg, sizeof msg, "%s", cause);
		free(cause);
		return msg;
	}
	if (i == 1) {
		if (size < (128ULL << 20))
			return "at least 128MiB";
		if (v->host_memory > 0 && size > v->host_memory)
			return "more than the host has";
		*note = running && size <= v->mem_max ? "live"
		                                      : "applies on restart";
		return NULL;
	}
	if (size < v->disk_capacity)
		return "disks only grow";
	*note = running ? "grows now" : "grows on next start";
	return NULL;
}

static void
dialog_resources_size(const struct dash *d, int *h, int *w)
{
	(void)d;
	*h = 11;
	*w = 70;
}

static void
dialog_resources_draw(struct dash *d, WINDOW *w, int rows, int cols)
{
	struct dialog_resources_data *r = d->dialog_data;
	const struct model_vm *v = &d->model->vm;
	int attr = theme_attr(THEME_DIALOG), i, y, x;
	const char *err, *note;
	char limit[64], *s;

	wbkgdset(w, ' ' | attr);
	werase(w);
	draw_box(w, 0, 0, rows, cols, theme_attr(THEME_DIALOG_BORDER));
	draw_text(w, 0, 2, cols - 4,
	          theme_attr(THEME_DIALOG_BORDER) | (int)A_BOLD,
	          " VM resources ");
	for (i = 0; i < RES_FIELDS; i++) {
		y = 2 + i * 2;
		draw_text(w, y, 2, 8, attr, res_names[i]);
		draw_fill(w, y, 10, 12,
		          i == r->field
		              ? theme_attr(THEME_INPUT) | (int)A_REVERSE
		              : theme_attr(THEME_INPUT));
		draw_text(w, y, 11, 11,
		          i == r->field
		              ? theme_attr(THEME_INPUT) | (int)A_REVERSE
		              : theme_attr(THEME_INPUT),
		          r->buf[i]);
		if (i == 0)
			snprintf(limit, sizeof limit, "host %d, max %d",
			         v->host_cpus, v->vcpus_max);
		else if (i == 1) {
			s = draw_size(v->host_memory);
			snprintf(limit, sizeof limit, "host %s", s);
			free(s);
		} else
			snprintf(limit, sizeof limit, "grows only");
		x = 24;
		x += draw_text(w, y, x, 22, theme_attr(THEME_DIM), limit);
		err = res_check(d, r, i, &note);
		if (err != NULL)
			draw_text(w, y + 1, 11, cols - 13,
			          theme_attr(THEME_STATUS_ERROR), err);
		else
			draw_text(
			    w, y, 46, cols - 48,
			    theme_attr(strcmp(note, "live") == 0 ||
			                       strcmp(note, "grows now") == 0
			                   ? THEME_STATUS_OK
			                   : THEME_STATUS_WARN),
			    note);
	}
	draw_text(
	    w, rows - 2, 2, cols - 4, theme_attr(THEME_DIM),
	    "Tab/Up/Down field   type to replace   Enter apply   Esc cancel");
}

static int
dialog_resources_key(struct dash *d, int ch)
{
	struct dialog_resources_data *r = d->dialog_data;
	const char *note;
	char *f = r->buf[r->field];
	size_t len = strlen(f);
	int i, eff = DASH_REDRAW, sent = 0;

	switch (ch) {
	case 27:
		dash_close_dialog(d);
		return DASH_REDRAW;
	case '\t':
	case KEY_DOWN:
		r->field = (r->field + 1) % RES_FIELDS;
		r->fresh = 1;
		return DASH_REDRAW;
	case KEY_BTAB:
	case KEY_UP:
		r->field = (r->field + RES_FIELDS - 1) % RES_FIELDS;
		r->fresh = 1;
		return DASH_REDRAW;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (len > 0)
			f[len - 1] = '\0';
		r->fresh = 0;
		return DASH_REDRAW;
	case 21:
		f[0] = '\0';
		return DASH_REDRAW;
	case '\n':
	case '\r':
	case KEY_ENTER:
		for (i = 0; i < RES_FIELDS; i++) {
			if (res_check(d, r, i, &note) != NULL) {
				r->field = i;
				dash_set_status(d, 2, "%s: fix the value first",
				                res_names[i]);
				return DASH_REDRAW;
			}
		}
		for (i = 0; i < RES_FIELDS; i++) {
			if (strcmp(r->buf[i], r->orig[i]) == 0)
				continue;
			eff |= dash_send(d, ENGINE_CMD_VM_SET, res_names[i],
			                 r->buf[i], 0);
			sent++;
		}
		dash_set_status(
		    d, 0, sent > 0 ? "resources sent" : "nothing changed");
		dash_close_dialog(d);
		return eff;
	default:
		if (ch > ' ' && ch < 0x7f && len < RES_LEN - 1) {
			if (r->fresh) {
				r->fresh = 0;
				len = 0;
			}
			f[len] = (char)ch;
			f[len + 1] = '\0';
			return DASH_REDRAW;
		}
		return 0;
	}
}

static void
dialog_resources_close(struct dash *d)
{
	free(d->dialog_data);
}

const struct dialog dialog_resources = {
    .name = "resources",
    .size = dialog_resources_size,
    .draw = dialog_resources_draw,
    .key = dialog_resources_key,
    .close = dialog_resources_close,
};
