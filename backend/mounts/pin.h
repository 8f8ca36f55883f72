/*
 * pin.h: keep the guest's dentries of a 9p share's directories alive, so
 * inotify watches on subfolders keep hearing berth's replay. See pin.c.
 */

#ifndef BERTH_PIN_H
#define BERTH_PIN_H

#include <stddef.h>
#include <stdint.h>

#include "mounts/scan.h"

#define PIN_GROUP_MAX 256 /* directories one guest holder keeps open */
#define PIN_GROUPS_MAX                                                         \
	64 /* holders beyond what a fresh pin needs: pin afresh */

/* Lines for the guest's pin script, in the order they must run. */
struct pin_plan {
	char **line;
	size_t n, cap;
	size_t pins; /* P lines among them */
};

struct pin_result {
	uint64_t pinned, failed;
	int unsupported;   /* the guest shell cannot hold descriptors >= 10 */
	char boot[64];     /* the guest's boot id */
	long long holders; /* answer to a C line, -1 if none */
};

struct pinset;

extern const char pin_guest_script[];
extern const char pin_guest_launcher[];

struct pinset *pinset_new(const char *);
void pinset_free(struct pinset *);
const char *pinset_key(const struct pinset *);
size_t pinset_count(const struct pinset *);
size_t pinset_groups(const struct pinset *);
int pinset_needs_full(const struct pinset *);
void pinset_invalidate(struct pinset *);
void pinset_plan_full(struct pinset *, const struct scan *, struct pin_plan *);
void pinset_plan_changes(struct pinset *, const struct scan_changes *,
                         struct pin_plan *);
int pinset_check_boot(struct pinset *, const char *);
void pinset_set_boot(struct pinset *, const char *);
void pinset_plan_check(const struct pinset *, struct pin_plan *);
int pinset_check_holders(struct pinset *, long long);
void pin_plan_clear(struct pin_plan *);
char *pin_plan_encode(const struct pin_plan *, size_t, size_t, size_t *,
                      size_t *);
int pin_parse_output(const char *, struct pin_result *);

#endif /* BERTH_PIN_H */
