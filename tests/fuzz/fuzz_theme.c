/*
 * fuzz_theme.c: libFuzzer harness for the theme loader and the colour and
 * style parsers. Any input must give a theme or errors (never both, never
 * neither), and no crash, leak or hang; a loaded theme's roles must print
 * in the short form and parse back to the same style, and reduce to valid
 * curses colour numbers at every depth.
 *
 * fuzz-sources: backend/conf/conf-theme.c backend/conf/conf-theme-colour.c
 * fuzz-sources: backend/conf/conf-yaml.c
 * fuzz-sources: backend/util/util.c backend/util/paths.c backend/util/units.c
 * fuzz-sources: backend/conf/profile.c backend/conf/profile-schema.c
 * fuzz-sources: backend/conf/profile-edit.c
 * fuzz-libs: -lyaml -lm
 * fuzz-seeds: themes tests/integration/themes
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Highest colour number each depth may produce. */
static const int depth_max[] = {
    [THEME_DEPTH_MONO] = -1,         [THEME_DEPTH_8] = 7,
    [THEME_DEPTH_16] = 15,           [THEME_DEPTH_256] = 255,
    [THEME_DEPTH_DIRECT] = 0xffffff,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* inherits: finds shipped themes, never the fuzzing user's own. */
	setenv("BERTH_HOME", "/nonexistent/berth-fuzz", 1);
	return 0;
}

/* Every role of t survives format -> parse, and resolves in range. */
static void
check_theme(const struct theme *t)
{
	const struct theme_style *st;
	struct theme_style back;
	struct theme_resolved r;
	char *s, *cause = NULL;
	int i, d;

	for (i = 0; i < THEME_NROLES; i++) {
		st = theme_get_style(t, i);
		s = theme_style_format(st);
		if (theme_parse_style(s, &back, &cause) != 0)
			abort(); /* printed a style it cannot read */
		if (memcmp(&back, st, sizeof back) != 0)
			abort();
		free(s);
		for (d = THEME_DEPTH_MONO; d <= THEME_DEPTH_DIRECT; d++) {
			theme_resolve(t, i, d, &r);
			if (r.fg < -1 || r.fg > depth_max[d] || r.bg < -1 ||
			    r.bg > depth_max[d])
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errs = {NULL, 0};
	struct theme_color c;
	struct theme_style st;
	struct theme *t;
	char *text, *cause = NULL;

	t = theme_load_buffer((const char *)data, size, "fuzz.yaml", &errs);
	if ((t == NULL) == (errs.n == 0))
		abort(); /* a refusal always says why, a success never */
	if (t != NULL)
		check_theme(t);
	theme_free(t);
	config_errors_free(&errs);

	/* The same bytes as a colour and as a short-form style. */
	text = strndup((const char *)data, size);
	if (text == NULL)
		return 0;
	if (theme_parse_color(text, &c, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		cause = NULL;
	}
	if (theme_parse_style(text, &st, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
	}
	free(text);
	return 0;
}
