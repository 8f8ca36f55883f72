/*
 * pane-vm.c: the VM pane. State with its colour and reason, accelerator,
 * libvirt connection, vCPUs and memory as meters with sparklines, disk,
 * uptime, IP, and changes that apply on the next restart. Keys: s start,
 * S stop, F force off, R restart, e edit resources.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/dashboard.h"

static int
pane_vm_height(const struct dash *d)
{
	(void)d;
	return 5;
}

/* No VM yet: the first thing to do is here (c creates it). */
static int
pane_vm_wants_focus(const struct dash *d)
{
	const struct model_vm *v = &d->model->vm;

	if (v->conn != MODEL_CONN_UP || v->state == MODEL_VM_UNKNOWN)
		return -1;
	return v->state == MODEL_VM_NOT_CREATED;
}

/*
 * A VM not created yet has nothing to start or stop: its bar offers c
 * Create first, which fits at 80 columns. Once it exists, c is gone.
 */
static int
pane_vm_key_shown(const struct dash *d, enum key_action a)
{
	const struct model_vm *v = &d->model->vm;

	if (v->conn != MODEL_CONN_UP || v->state == MODEL_VM_UNKNOWN)
		return 1;
	switch (a) {
	case ACT_VM_START:
	case ACT_VM_STOP:
	case ACT_VM_FORCE:
	case ACT_VM_RESTART:
		return v->state != MODEL_VM_NOT_CREATED;
	case ACT_VM_CREATE:
		return v->state == MODEL_VM_NOT_CREATED;
	default:
		return 1;
	}
}

/* "kvm", "tcg": what accelerates the guest, or a dash. */
static const char *
pane_vm_accel(const struct model_vm *v)
{
	return v->accel != NULL ? v->accel : "—";
}

static void
pane_vm_draw(struct dash *d, WINDOW *w, int rows, int cols)
{
	const struct model_vm *v = &d->model->vm;
	const char *state = model_vm_state_name(v->state);
	char *a = NULL, *b = NULL, *up = NULL, right[128];
	int x, y = 1, mw, sw, ulen, label = theme_attr(THEME_DIM);
	double frac;

	/*
	 * The URI without its query: ?keyfile=...&socket=... of a remote
	 * session would push the domain out of an 80-column rule.
	 */
	ulen = v->uri != NULL ? (int)strcspn(v->uri, "?") : 0;
	snprintf(right, sizeof right, "%.*s%s%s", ulen,
	         v->uri != NULL ? v->uri : "", v->domain != NULL ? " · " : "",
	         v->domain != NULL ? v->domain : "");
	if (draw_ascii())
		snprintf(right, sizeof right, "%.*s%s%s", ulen,
		         v->uri != NULL ? v->uri : "",
		         v->domain != NULL ? " / " : "",
		         v->domain != NULL ? v->domain : "");
	draw_rule(w, 0, 0, cols, "1 VM", dash_pane_focused(d, &pane_vm), right);
	if (rows < 2)
		return;
	if (v->conn != MODEL_CONN_UP) {
		x = draw_printf(w, y, 1, cols - 2,
		                theme_attr(v->conn == MODEL_CONN_DOWN
		                               ? THEME_STATUS_ERROR
		                               : THEME_DIM),
		                "libvirt %s", draw_conn_name(v->conn));
		if (v->conn_error != NULL)
			x += draw_printf(w, y, 1 + x, cols - 2 - x,
			                 theme_attr(THEME_STATUS_ERROR), ": %s",
			                 v->conn_error);
		if (v->retry_in_s > 0)
			draw_printf(w, y, 1 + x, cols - 2 - x, label,
			            " (retry in %ds)", v->retry_in_s);
		if (rows > 2)
			draw_text(
			    w, y + 1, 1, cols - 2, label,
			    v->conn == MODEL_CONN_NONE
			        ? "no VM backend in this build yet: state, "
			          "resources and stats show here"
			        : "state, resources and stats show here "
			          "once connected");
		return;
	}

	/* Line 1: state, reason, accel, operation. */
	x = 1;
	x += draw_text(w, y, x, cols - x - 1,
	               draw_state_attr(state) | (int)A_BOLD, state);
	if (v->reason != NULL && *v->reason != '\0')
		x += draw_printf(w, y, x, cols - x - 1, label, " (%s)",
		                 v->reason);
	x += draw_printf(w, y, x, cols - x - 1, label, "  accel ");
	x += draw_text(w, y, x, cols - x - 1, theme_attr(THEME_DEFAULT),
	               pane_vm_accel(v));
	if (v->adopted)
		x += draw_text(w, y, x, cols - x - 1, label, "  adopted");
	if (v->operation != NULL)
		draw_printf(w, y, x, cols - x - 1,
		            theme_attr(THEME_STATUS_WARN), "  %s",
		            v->operation);
	else if (v->state == MODEL_VM_NOT_CREATED)
		draw_text(w, y, x, cols - x - 1, theme_attr(THEME_KEY_HINT),
		          "  press c to create");
	if (++y >= rows)
		return;

	/* Line 2: CPU meter and sparkline. */
	mw = cols >= 100 ? 24 : 14;
	sw = cols - 1 - 30 - mw;
	x = 1;
	x += draw_printf(w, y, x, 12, label, "CPU ");
	if (v->vcpus_pending > 0 && v->vcpus_pending != v->vcpus)
		x += draw_printf(w, y, x, 16, theme_attr(THEME_STATUS_WARN),
		                 "%d→%d vCPU ", v->vcpus, v->vcpus_pending);
	else
		x += draw_printf(w, y, x, 16, theme_attr(THEME_DEFAULT),
		                 "%d vCPU ", v->vcpus);
	x = 16;
	frac = v->vcpus > 0 ? v->cpu_pct / (100.0 * v->vcpus) : 0;
	draw_meter(w, y, x, mw, frac);
	x += mw;
	x += draw_printf(w, y, x + 1, 8, theme_attr(THEME_DEFAULT), "%5.1f%%",
	                 v->cpu_pct) +
	     2;
	if (sw > 4)
		draw_sparkline(w, y, x, sw, &v->cpu_hist,
		               100.0 * (v->vcpus > 0 ? v->vcpus : 1));
	if (++y >= rows)
		return;

	/* Line 3: memory meter and sparkline. */
	x = 1;
	draw_text(w, y, x, 4, label, "Mem");
	a = draw_size(v->mem_used > 0 ? v->mem_used : 0);
	b = draw_size(v->mem_current > 0 ? v->mem_current : v->mem_max);
	if (v->mem_pending > 0 && v->mem_pending != v->mem_current) {
		char *p = draw_size(v->mem_pending);

		draw_printf(w, y, 5, 11, theme_attr(THEME_STATUS_WARN), "%s→%s",
		            b, p);
		free(p);
	} else
		draw_printf(w, y, 5, 11, theme_attr(THEME_DEFAULT), "%s", b);
	frac = v->mem_current > 0 ? (double)v->mem_used / (double)v->mem_current
	                          : 0;
	draw_meter(w, y, 16, mw, frac);
	x = 16 + mw + 1;
	x += draw_printf(w, y, x, 13, theme_attr(THEME_DEFAULT), "%s used",
	                 v->mem_used > 0 ? a : "—");
	x = 16 + mw + 15;
	/* What QEMU holds on the host, beside what the guest uses. */
	if (v->mem_rss > 0) {
		char *r = draw_size(v->mem_rss);

		x += draw_printf(w, y, x, 6, label, "host ");
		x += draw_printf(w, y, x, 8, theme_attr(THEME_DEFAULT), "%s ",
		                 r);
		free(r);
	}
	if (cols - 1 - x > 4)
		draw_sparkline(
		    w, y, x, cols - 1 - x, &v->mem_hist,
		    (double)(v->mem_current > 0 ? v->mem_current : 1));
	free(a);
	free(b);
	if (++y >= rows)
		return;

	/* Line 4: disk, uptime, IP, pending changes. */
	x = 1;
	a = draw_size(v->disk_allocation);
	b = draw_size(v->disk_capacity);
	x += draw_printf(w, y, x, cols - x - 1, label, "Disk ");
	x += draw_printf(w, y, x, cols - x - 1, theme_attr(THEME_DEFAULT),
	                 "%s/%s", v->disk_capacity > 0 ? a : "—",
	                 v->disk_capacity > 0 ? b : "—");
	free(a);
	free(b);
	if (v->disk_guest_size > 0) {
		a = draw_size(v->disk_guest_free);
		x += draw_printf(w, y, x, cols - x - 1,
		                 theme_attr(THEME_DEFAULT), " %s", a);
		x += draw_printf(w, y, x, cols - x - 1, label, " free");
		free(a);
	}
	up = v->state == MODEL_VM_RUNNING
	         ? units_format_uptime(v->uptime_s - v->uptime_s % 60)
	         : xstrdup("—");
	if (v->state == MODEL_VM_RUNNING && v->uptime_s < 60) {
		free(up);
		up = xstrdup("<1m");
	}
	x += draw_printf(w, y, x, cols - x - 1, label, "  up ");
	x += draw_text(w, y, x, cols - x - 1, theme_attr(THEME_DEFAULT), up);
	free(up);
	x += draw_printf(w, y, x, cols - x - 1, label, "  IP ");
	x += draw_text(w, y, x, cols - x - 1, theme_attr(THEME_DEFAULT),
	               v->ip != NULL ? v->ip : "—");
	if ((v->vcpus_pending > 0 && v->vcpus_pending != v->vcpus) ||
	    (v->mem_pending > 0 && v->mem_pending != v->mem_current))
		draw_text(w, y, x, cols - x - 1, theme_attr(THEME_STATUS_WARN),
		          "  * applies on restart");
}

static int
pane_vm_confirm(struct dash *d, const char *what, enum engine_cmd_type t)
{
	char *q =
	    xasprintf("%s the VM %s?", what,
	              d->model->vm.domain != NULL ? d->model->vm.domain : "");

	dialog_confirm_open(d, q, t, NULL, 0);
	free(q);
	return DASH_REDRAW;
}

static int
pane_vm_start(struct dash *d)
{
	dash_set_status(d, 0, "starting the VM");
	return dash_send(d, ENGINE_CMD_VM_START, NULL, NULL, 0);
}

static int
pane_vm_create(struct dash *d)
{
	dash_set_status(d, 0, "creating the VM");
	return dash_send(d, ENGINE_CMD_VM_CREATE, NULL, NULL, 0);
}

static int
pane_vm_stop(struct dash *d)
{
	return pane_vm_confirm(d, "Shut down", ENGINE_CMD_VM_SHUTDOWN);
}

static int
pane_vm_force(struct dash *d)
{
	return pane_vm_confirm(d, "Force off", ENGINE_CMD_VM_DESTROY);
}

static int
pane_vm_restart(struct dash *d)
{
	return pane_vm_confirm(d, "Restart", ENGINE_CMD_VM_REBOOT);
}

static const struct dash_binding pane_vm_actions[] = {
    {ACT_VM_START, pane_vm_start},     {ACT_VM_CREATE, pane_vm_create},
    {ACT_VM_STOP, pane_vm_stop},       {ACT_VM_FORCE, pane_vm_force},
    {ACT_VM_RESTART, pane_vm_restart}, {ACT_VM_EDIT, dialog_resources_open},
};

const struct pane pane_vm = {
    .name = "vm",
    .title = "VM",
    .scope = KEY_SCOPE_VM,
    .height = pane_vm_height,
    .draw = pane_vm_draw,
    .actions = pane_vm_actions,
    .nactions = nitems(pane_vm_actions),
    .wants_focus = pane_vm_wants_focus,
    .key_shown = pane_vm_key_shown,
};
