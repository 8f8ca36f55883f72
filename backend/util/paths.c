/*
 * paths.c: where berth keeps things. Configuration under
 * $XDG_CONFIG_HOME/berth (default ~/.config/berth), state (sockets, logs,
 * locks) under $XDG_STATE_HOME/berth/<profile>, caches under
 * $XDG_CACHE_HOME/berth. BERTH_HOME overrides all three roots:
 * $BERTH_HOME/config, $BERTH_HOME/state/<profile>, $BERTH_HOME/cache.
 */

#include "config.h"

#include <ctype.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

static const char *
home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && *home != '\0')
		return home;
	if ((pw = getpwuid(getuid())) != NULL)
		return pw->pw_dir;
	return "/";
}

/* Root for one kind: BERTH_HOME/sub, else $XDG_VAR/berth, else
 * ~/fallback/berth. */
static char *
root_dir(const char *sub, const char *xdg, const char *fallback)
{
	const char *bh = getenv("BERTH_HOME"), *x = getenv(xdg);

	if (bh != NULL && *bh != '\0')
		return xasprintf("%s/%s", bh, sub);
	if (x != NULL && *x == '/')
		return xasprintf("%s/berth", x);
	return xasprintf("%s/%s/berth", home_dir(), fallback);
}

char *
paths_config_dir(void)
{
	return root_dir("config", "XDG_CONFIG_HOME", ".config");
}

char *
paths_state_dir(const char *profile)
{
	char *root = root_dir("state", "XDG_STATE_HOME", ".local/state"), *s;

	s = xasprintf("%s/%s", root, profile);
	free(root);
	return s;
}

char *
paths_cache_dir(void)
{
	return root_dir("cache", "XDG_CACHE_HOME", ".cache");
}

char *
paths_user_profiles_dir(void)
{
	char *c = paths_config_dir(), *s;

	s = xasprintf("%s/profiles", c);
	free(c);
	return s;
}

/*
 * Directory of shipped files (profiles, themes): the source tree when
 * running from a build (BERTH_DATADIR overrides), else the installed data
 * directory.
 */
char *
paths_shipped_dir(const char *kind)
{
	const char *env = getenv("BERTH_DATADIR");
	char *s;

	if (env != NULL && *env != '\0')
		return xasprintf("%s/%s", env, kind);
	s = xasprintf("%s/%s", BERTH_DATADIR, kind);
	if (access(s, R_OK) == 0)
		return s;
	free(s);
	return xasprintf("%s/%s", BERTH_SRCDIR, kind);
}

/* Is a theme name safe to look up (no paths, no hidden files)? */
int
paths_theme_name_ok(const char *name)
{
	const char *s;

	if (*name == '\0' || *name == '.' || strlen(name) > 64)
		return 0;
	for (s = name; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return 0;
	}
	return 1;
}

/*
 * Where theme NAME lives, looking from place `first` (0 the user's themes
 * folder, 1 the shipped themes): the path (caller frees) and *source
 * ("user" or "shipped"), or NULL and a cause. The theme loader and the
 * profile's theme: check both ask here.
 */
char *
paths_theme_find(const char *name, int first, const char **source, char **cause)
{
	char *dir, *path, *conf;
	int i;

	if (!paths_theme_name_ok(name)) {
		util_set_cause(cause, "invalid theme name '%s'", name);
		return NULL;
	}
	for (i = first; i < 2; i++) {
		if (i == 0) {
			conf = paths_config_dir();
			dir = xasprintf("%s/themes", conf);
			free(conf);
		} else
			dir = paths_shipped_dir("themes");
		path = xasprintf("%s/%s.yaml", dir, name);
		free(dir);
		if (access(path, F_OK) == 0) {
			if (source != NULL)
				*source = i == 0 ? "user" : "shipped";
			return path;
		}
		free(path);
	}
	util_set_cause(cause, "no theme '%s' (berth theme list shows them)",
	               name);
	return NULL;
}

/* Expand a leading ~ or ~/ to the home directory; the caller frees. */
char *
paths_expand_tilde(const char *path)
{
	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0'))
		return xasprintf("%s%s", home_dir(), path + 1);
	return xstrdup(path);
}
