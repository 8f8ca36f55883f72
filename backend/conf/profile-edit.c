/*
 * profile-edit.c: changing one key of a profile file without disturbing the
 * rest of it. libyaml drops comments, so re-emitting the document would
 * lose the user's; instead the file is parsed, the byte range of the target
 * value is taken from the node marks, and only those bytes are replaced
 * (or, for a missing key, one line is inserted into the right mapping with
 * the indentation of its siblings). The new text is loaded again with the
 * full validator before anything is written, and written atomically with
 * the old file kept as NAME.yaml.bak. A file the user made read-only is
 * never rewritten; a symlinked one is edited where the link points.
 *
 * The marks are the parser's event marks, read from the nodes of the
 * document the one YAML reader (conf-yaml.c) loads. They count characters,
 * not bytes (and skip a byte order mark), so every mark goes through
 * conf_yaml_byte() before it touches the buffer.
 */

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"

/* One step of a key path: a mapping key or a sequence index. */
struct edit_seg {
	char *key; /* NULL for an index */
	size_t index;
};

/* What a splice works on. */
struct edit {
	const char *buf;
	size_t len;
	struct conf_yaml *y; /* the document, during the splice */
	struct edit_seg *segs;
	size_t nsegs;
	char *value; /* the value as YAML text */
	int step;    /* indentation step of the file */
};

static char *render_value(struct edit *, size_t, int, char **);

static void
segs_free(struct edit_seg *segs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(segs[i].key);
	free(segs);
}

/*
 * Split "mounts[1].watch" into mounts, [1], watch and check the key
 * against the schema. Returns the schema entry or NULL and a cause.
 */
static const struct schema_key *
parse_key(const char *key, struct edit_seg **segsp, size_t *np, char **cause)
{
	struct edit_seg *segs = NULL;
	const struct schema_key *k, *sug;
	const char *p = key, *q;
	char *schema = xstrdup(""), *t, *end;
	size_t n = 0;
	unsigned long idx;

	while (*p != '\0') {
		q = p + strcspn(p, ".[");
		if (q == p)
			goto bad;
		segs = xreallocarray(segs, n + 1, sizeof *segs);
		segs[n].key = xstrndup(p, (size_t)(q - p));
		segs[n++].index = 0;
		t = xasprintf("%s%s%.*s", schema, *schema ? "." : "",
		              (int)(q - p), p);
		free(schema);
		schema = t;
		p = q;
		while (*p == '[') {
			if (!isdigit((unsigned char)p[1]))
				goto bad;
			errno = 0;
			idx = strtoul(p + 1, &end, 10);
			if (errno != 0 || *end != ']' || idx > 1000000)
				goto bad;
			segs = xreallocarray(segs, n + 1, sizeof *segs);
			segs[n].key = NULL;
			segs[n++].index = idx;
			t = xasprintf("%s[]", schema);
			free(schema);
			schema = t;
			p = end + 1;
		}
		if (*p == '.')
			p++;
		else if (*p != '\0')
			goto bad;
		if (*p == '\0' && p[-1] == '.')
			goto bad;
	}
	if ((k = schema_find(schema)) == NULL || k->type == SCHEMA_MOUNTS) {
		if (k != NULL)
			util_set_cause(
			    cause,
			    "'%s' is a list of mappings; set its keys "
			    "one by one (mounts[0].host ...)",
			    key);
		else if ((sug = schema_suggest(schema)) != NULL)
			util_set_cause(cause,
			               "unknown key '%s' (did you mean '%s'?)",
			               key, sug->path);
		else
			util_set_cause(cause,
			               "unknown key '%s' (berth profile keys "
			               "lists them)",
			               key);
		free(schema);
		segs_free(segs, n);
		return NULL;
	}
	free(schema);
	*segsp = segs;
	*np = n;
	return k;

bad:
	util_set_cause(cause,
	               "'%s' is not a key path (like vm.cpus or "
	               "mounts[0].watch)",
	               key);
	free(schema);
	segs_free(segs, n);
	return NULL;
}

/* Whether a scalar can be written plain and read back as the same text. */
static int
plain_ok(const char *s)
{
	static const char *const nulls[] = {"~", "null", "Null", "NULL"};
	size_t i, len = strlen(s);

	if (len == 0 || isspace((unsigned char)s[0]) ||
	    isspace((unsigned char)s[len - 1]))
		return 0;
	if (strchr("?:,[]{}#&*!|>'\"%@`", s[0]) != NULL)
		return 0;
	if (s[0] == '-' && !isdigit((unsigned char)s[1]))
		return 0;
	if (s[len - 1] == ':' || strstr(s, ": ") != NULL ||
	    strstr(s, " #") != NULL || strpbrk(s, ",[]{}") != NULL)
		return 0;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	}
	for (i = 0; i < nitems(nulls); i++) {
		if (strcmp(s, nulls[i]) == 0)
			return 0;
	}
	return 1;
}

/*
 * A scalar as YAML: plain when that is safe, else double-quoted. The
 * caller frees. (profile-write.c quotes list items with it too.)
 */
char *
profile_quote_scalar(const char *s)
{
	char *out, *o;

	if (plain_ok(s))
		return xstrdup(s);
	out = o = xmalloc(strlen(s) * 4 + 3);
	*o++ = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			*o++ = '\\';
			*o++ = *s;
		} else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			o += sprintf(o, "\\x%02x", (unsigned char)*s);
		else
			*o++ = *s;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

/* The value as YAML text for key `k`: lists become flow sequences. */
static char *
value_text(const struct schema_key *k, const char *value)
{
	char *copy, *p, *item, *q, *out, *t;
	size_t len;
	int first = 1;

	if (k->type != SCHEMA_LIST)
		return profile_quote_scalar(value);
	while (isspace((unsigned char)*value))
		value++;
	if (*value == '[')
		return xstrdup(value);
	copy = p = xstrdup(value);
	out = xstrdup("[");
	while ((item = strsep(&p, ",")) != NULL) {
		while (isspace((unsigned char)*item))
			item++;
		len = strlen(item);
		while (len > 0 && isspace((unsigned char)item[len - 1]))
			item[--len] = '\0';
		if (len == 0)
			continue;
		q = profile_quote_scalar(item);
		t = xasprintf("%s%s%s", out, first ? "" : ", ", q);
		free(q);
		free(out);
		out = t;
		first = 0;
	}
	free(copy);
	t = xasprintf("%s]", out);
	free(out);
	return t;
}

static int
is_empty_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       n->data.scalar.length == 0;
}

static int
is_block_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       (n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
	        n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE);
}

static int
is_flow(const yaml_node_t *n)
{
	return (n->type == YAML_MAPPING_NODE &&
	        n->data.mapping.style == YAML_FLOW_MAPPING_STYLE) ||
	       (n->type == YAML_SEQUENCE_NODE &&
	        n->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE);
}

/*
 * Byte offset just past the text of a node. Block collections end with
 * their last value (their own end mark lies at the next token, possibly
 * lines later); an empty value ends with its key.
 */
static size_t
node_end(struct edit *e, yaml_node_t *n)
{
	yaml_node_pair_t *last;
	yaml_node_t *v;

	if (n->type == YAML_SCALAR_NODE || is_flow(n))
		return conf_yaml_byte(e->y, n->end_mark.index);
	if (n->type == YAML_SEQUENCE_NODE) {
		v = conf_yaml_node(e->y, n->data.sequence.items.top[-1]);
		return v != NULL ? node_end(e, v)
		                 : conf_yaml_byte(e->y, n->start_mark.index);
	}
	last = n->data.mapping.pairs.top - 1;
	v = conf_yaml_node(e->y, last->value);
	if (v == NULL || is_empty_plain(v))
		v = conf_yaml_node(e->y, last->key);
	return v != NULL ? node_end(e, v)
	                 : conf_yaml_byte(e->y, n->start_mark.index);
}

/*
 * Where a new line goes after node `n`: the end of the line it ends on
 * (past a trailing comment), or where a block scalar ends (already at a
 * line start: *at_line_start is set).
 */
static size_t
insert_point(struct edit *e, yaml_node_t *n, int *at_line_start)
{
	yaml_node_t *v = n;
	size_t pos;

	*at_line_start = 0;
	while (v->type != YAML_SCALAR_NODE && !is_flow(v)) {
		if (v->type == YAML_SEQUENCE_NODE)
			v = conf_yaml_node(e->y,
			                   v->data.sequence.items.top[-1]);
		else {
			yaml_node_t *val = conf_yaml_node(
			    e->y, v->data.mapping.pairs.top[-1].value);

			v = (val == NULL || is_empty_plain(val))
			        ? conf_yaml_node(
			              e->y, v->data.mapping.pairs.top[-1].key)
			        : val;
		}
		if (v == NULL)
			return e->len;
	}
	if (is_block_scalar(v)) {
		pos = conf_yaml_byte(e->y, v->end_mark.index);
		if (pos > 0 && (e->buf[pos - 1] == '\n' || pos == e->len)) {
			*at_line_start = e->buf[pos - 1] == '\n';
			return pos;
		}
	}
	pos = node_end(e, n);
	while (pos < e->len && e->buf[pos] != '\n')
		pos++;
	return pos;
}

static char *
spaces(int n)
{
	char *s = xmalloc((size_t)n + 1);

	memset(s, ' ', (size_t)n);
	s[n] = '\0';
	return s;
}

/*
 * Block text for segments [i..] starting at a mapping key in column
 * `indent` (the first line's indentation is the caller's).
 */
static char *
render_block(struct edit *e, size_t i, int indent, char **cause)
{
	char *rest, *s;

	if ((rest = render_value(e, i + 1, indent + e->step, cause)) == NULL)
		return NULL;
	s = xasprintf("%s:%s", e->segs[i].key, rest);
	free(rest);
	return s;
}

/*
 * What follows "key:" for segments [i..]: the value, or the nested
 * entries on new lines in column `indent`.
 */
static char *
render_value(struct edit *e, size_t i, int indent, char **cause)
{
	char *rest, *pad, *s;

	if (i == e->nsegs)
		return xasprintf(" %s", e->value);
	pad = spaces(indent);
	if (e->segs[i].key != NULL) {
		if ((rest = render_block(e, i, indent, cause)) == NULL) {
			free(pad);
			return NULL;
		}
		s = xasprintf("\n%s%s", pad, rest);
	} else {
		if (e->segs[i].index != 0) {
			util_set_cause(cause,
			               "there is no item %zu (add items in "
			               "order, from 0)",
			               e->segs[i].index);
			free(pad);
			return NULL;
		}
		if ((rest = render_block(e, i + 1, indent + 2, cause)) ==
		    NULL) {
			free(pad);
			return NULL;
		}
		s = xasprintf("\n%s- %s", pad, rest);
	}
	free(pad);
	free(rest);
	return s;
}

/* Flow text for segments [i..] ("key: {sub: value}"). */
static char *
render_flow(struct edit *e, size_t i, char **cause)
{
	char *rest, *s;

	if (i + 1 == e->nsegs)
		return xasprintf("%s: %s", e->segs[i].key, e->value);
	if (e->segs[i + 1].key != NULL) {
		if ((rest = render_flow(e, i + 1, cause)) == NULL)
			return NULL;
		s = xasprintf("%s: {%s}", e->segs[i].key, rest);
	} else {
		if (e->segs[i + 1].index != 0) {
			util_set_cause(cause, "%s has no item %zu",
			               e->segs[i].key, e->segs[i + 1].index);
			return NULL;
		}
		if ((rest = render_flow(e, i + 2, cause)) == NULL)
			return NULL;
		s = xasprintf("%s: [{%s}]", e->segs[i].key, rest);
	}
	free(rest);
	return s;
}

/* The new buffer: buf[0..from) + text + buf[to..len). */
static char *
replace(struct edit *e, size_t from, size_t to, const char *text,
        size_t *outlen)
{
	size_t tl = strlen(text), n = from + tl + (e->len - to);
	char *out = xmalloc(n + 1);

	memcpy(out, e->buf, from);
	memcpy(out + from, text, tl);
	memcpy(out + from + tl, e->buf + to, e->len - to);
	out[n] = '\0';
	*outlen = n;
	return out;
}

/* Guess the file's indentation step from its first nested mapping. */
static int
guess_step(struct edit *e, yaml_node_t *root)
{
	yaml_node_pair_t *pair;
	yaml_node_t *v, *k;

	if (root == NULL || root->type != YAML_MAPPING_NODE)
		return 2;
	for (pair = root->data.mapping.pairs.start;
	     pair < root->data.mapping.pairs.top; pair++) {
		v = conf_yaml_node(e->y, pair->value);
		if (v == NULL || v->type != YAML_MAPPING_NODE || is_flow(v) ||
		    v->data.mapping.pairs.start == v->data.mapping.pairs.top)
			continue;
		k = conf_yaml_node(e->y, v->data.mapping.pairs.start->key);
		if (k != NULL && k->start_mark.column > 0 &&
		    k->start_mark.column <= 8)
			return (int)k->start_mark.column;
	}
	return 2;
}

/* Add segments [i..] as a new entry of mapping `m`. */
static char *
insert_in_mapping(struct edit *e, yaml_node_t *m, size_t i, size_t *outlen,
                  char **cause)
{
	yaml_node_t *first;
	char *body, *pad, *text, *out;
	size_t pos;
	int indent, at_start;

	if (is_flow(m)) {
		if ((body = render_flow(e, i, cause)) == NULL)
			return NULL;
		pos = conf_yaml_byte(e->y, m->end_mark.index);
		while (pos > 0 && e->buf[pos - 1] != '}')
			pos--;
		pos = pos > 0 ? pos - 1 : 0;
		text = xasprintf("%s%s",
		                 m->data.mapping.pairs.start ==
		                         m->data.mapping.pairs.top
		                     ? ""
		                     : ", ",
		                 body);
		out = replace(e, pos, pos, text, outlen);
		free(body);
		free(text);
		return out;
	}
	first = conf_yaml_node(e->y, m->data.mapping.pairs.start->key);
	indent = first != NULL ? (int)first->start_mark.column : 0;
	if ((body = render_block(e, i, indent, cause)) == NULL)
		return NULL;
	pos = insert_point(e, m, &at_start);
	pad = spaces(indent);
	if (at_start)
		text = xasprintf("%s%s\n", pad, body);
	else
		text = xasprintf("\n%s%s", pad, body);
	out = replace(e, pos, pos, text, outlen);
	free(pad);
	free(body);
	free(text);
	return out;
}

/* Add a new item (segments [i..], a mapping) at the end of sequence `s`. */
static char *
append_to_sequence(struct edit *e, yaml_node_t *s, size_t i, size_t *outlen,
                   char **cause)
{
	yaml_node_t *first;
	char *body, *pad, *text, *out;
	size_t pos;
	int dash, at_start;

	if (i == e->nsegs) {
		util_set_cause(cause, "cannot add a list item this way");
		return NULL;
	}
	if (is_flow(s)) {
		if ((body = render_flow(e, i, cause)) == NULL)
			return NULL;
		pos = conf_yaml_byte(e->y, s->end_mark.index);
		while (pos > 0 && e->buf[pos - 1] != ']')
			pos--;
		pos = pos > 0 ? pos - 1 : 0;
		text = xasprintf("%s{%s}",
		                 s->data.sequence.items.start ==
		                         s->data.sequence.items.top
		                     ? ""
		                     : ", ",
		                 body);
		out = replace(e, pos, pos, text, outlen);
		free(body);
		free(text);
		return out;
	}
	dash = (int)s->start_mark.column;
	first = conf_yaml_node(e->y, s->data.sequence.items.start[0]);
	if ((body = render_block(
	         e, i, first != NULL ? (int)first->start_mark.column : dash + 2,
	         cause)) == NULL)
		return NULL;
	pos = insert_point(e, s, &at_start);
	pad = spaces(dash);
	if (at_start)
		text = xasprintf("%s- %s\n", pad, body);
	else
		text = xasprintf("\n%s- %s", pad, body);
	out = replace(e, pos, pos, text, outlen);
	free(pad);
	free(body);
	free(text);
	return out;
}

/* Replace the value node `v` (whose key node is `k`) with the new value. */
static char *
replace_value(struct edit *e, yaml_node_t *k, yaml_node_t *v, size_t *outlen)
{
	size_t from, to;
	char *text, *out;

	if (is_empty_plain(v)) {
		/* "image:" has no value bytes; write after the colon. */
		from = conf_yaml_byte(e->y, k->end_mark.index);
		while (from < e->len && e->buf[from] != ':')
			from++;
		if (from < e->len)
			from++;
		text = xasprintf(" %s", e->value);
		out = replace(e, from, from, text, outlen);
		free(text);
		return out;
	}
	from = conf_yaml_byte(e->y, v->start_mark.index);
	to = node_end(e, v);
	if (is_block_scalar(v)) {
		to = conf_yaml_byte(e->y, v->end_mark.index);
		if (to > from && e->buf[to - 1] == '\n') {
			text = xasprintf("%s\n", e->value);
			out = replace(e, from, to, text, outlen);
			free(text);
			return out;
		}
	}
	return replace(e, from, to, e->value, outlen);
}

/* Find the target and produce the edited buffer. */
static char *
splice(struct edit *e, size_t *outlen, char **cause)
{
	yaml_node_t *n = conf_yaml_root(e->y), *k = NULL, *v;
	yaml_node_pair_t *pair;
	char *body, *out, *text;
	size_t i, count;

	e->step = guess_step(e, n);
	if (n == NULL || (is_empty_plain(n))) {
		/* Empty file (or only comments): append at the end. */
		if ((body = render_block(e, 0, 0, cause)) == NULL)
			return NULL;
		text = xasprintf(
		    "%s%s\n",
		    e->len > 0 && e->buf[e->len - 1] != '\n' ? "\n" : "", body);
		out = replace(e, e->len, e->len, text, outlen);
		free(body);
		free(text);
		return out;
	}
	for (i = 0; i < e->nsegs; i++) {
		if (e->segs[i].key != NULL) {
			if (n->type != YAML_MAPPING_NODE) {
				util_set_cause(cause,
				               "line %zu: expected a mapping "
				               "holding '%s'",
				               n->start_mark.line + 1,
				               e->segs[i].key);
				return NULL;
			}
			for (pair = n->data.mapping.pairs.start;
			     pair < n->data.mapping.pairs.top; pair++) {
				k = conf_yaml_node(e->y, pair->key);
				if (k != NULL && k->type == YAML_SCALAR_NODE &&
				    strcmp((char *)k->data.scalar.value,
				           e->segs[i].key) == 0)
					break;
			}
			if (pair == n->data.mapping.pairs.top)
				return insert_in_mapping(e, n, i, outlen,
				                         cause);
			if ((v = conf_yaml_node(e->y, pair->value)) == NULL)
				break;
			if (i + 1 < e->nsegs && is_empty_plain(v)) {
				/* "vm:" with nothing under it yet. */
				size_t from;

				if ((body = render_value(
				         e, i + 1,
				         (int)k->start_mark.column + e->step,
				         cause)) == NULL)
					return NULL;
				from = conf_yaml_byte(e->y, k->end_mark.index);
				while (from < e->len && e->buf[from] != '\n')
					from++;
				out = replace(e, from, from, body, outlen);
				free(body);
				return out;
			}
			n = v;
			continue;
		}
		if (n->type != YAML_SEQUENCE_NODE) {
			util_set_cause(cause, "line %zu: expected a list",
			               n->start_mark.line + 1);
			return NULL;
		}
		count = (size_t)(n->data.sequence.items.top -
		                 n->data.sequence.items.start);
		if (e->segs[i].index == count)
			return append_to_sequence(e, n, i + 1, outlen, cause);
		if (e->segs[i].index > count) {
			util_set_cause(
			    cause, "there is no item %zu (the list has %zu)",
			    e->segs[i].index, count);
			return NULL;
		}
		n = conf_yaml_node(
		    e->y, n->data.sequence.items.start[e->segs[i].index]);
		if (n == NULL)
			break;
		k = NULL;
	}
	if (n == NULL || k == NULL) {
		util_set_cause(cause, "cannot edit this key");
		return NULL;
	}
	return replace_value(e, k, n, outlen);
}

/*
 * The old text's syntax error, as the cause the edit gives: the marks of
 * text that is not valid YAML mean nothing, so it must be fixed first.
 */
static void
edit_syntax(const struct conf_yaml *y, const yaml_parser_t *parser, int later,
            struct config_errors *errs)
{
	(void)later;
	config_errors_add(errs, y->file, (int)parser->problem_mark.line + 1, 0,
	                  "the profile is not valid YAML (%s); fix it first",
	                  parser->problem ? parser->problem : "?");
}

/* Only the first document is edited; the loader refuses a second one. */
static const struct conf_yaml_kind edit_yaml = {
    .one_document = NULL,
    .syntax = edit_syntax,
};

/* What the walk of the old text gives back. */
struct edit_result {
	struct edit *e;
	char *out;
	size_t *outlen;
	char **cause;
};

/*
 * Splice into the loaded document. One that uses an alias (*name) is not
 * edited: the document API resolves an alias to its anchor's node, whose
 * marks point elsewhere in the text (or around the alias itself).
 */
static void
edit_walk(struct conf_yaml *y, yaml_node_t *root, void *arg)
{
	struct edit_result *r = arg;

	(void)root;
	r->e->y = y;
	if (conf_yaml_has_alias(y)) {
		util_set_cause(r->cause, "the profile uses YAML aliases "
		                         "(*name); berth cannot edit it in "
		                         "place, edit it by hand");
		return;
	}
	r->out = splice(r->e, r->outlen, r->cause);
	r->e->y = NULL;
}

/*
 * Set `key` to `value` in the profile text buf[0..len): only the bytes of
 * the old value change, or one entry is inserted. The result is validated
 * with the loader. Returns the new text (caller frees, NUL-terminated,
 * length in *outlen) or NULL and a cause.
 */
char *
profile_splice(const char *buf, size_t len, const char *key, const char *value,
               size_t *outlen, char **cause)
{
	const struct schema_key *k;
	struct config_errors errs = {NULL, 0};
	struct edit_result r;
	struct profile *p;
	struct edit e;
	char *out, *c;
	size_t i;

	memset(&e, 0, sizeof e);
	e.buf = buf;
	e.len = len;
	if ((k = parse_key(key, &e.segs, &e.nsegs, cause)) == NULL)
		return NULL;
	if (len >= 2 && ((unsigned char)buf[0] == 0xfe ||
	                 (unsigned char)buf[0] == 0xff || buf[0] == '\0')) {
		util_set_cause(cause, "only UTF-8 profiles can be edited");
		segs_free(e.segs, e.nsegs);
		return NULL;
	}
	if (memchr(buf, '\0', len) != NULL) {
		util_set_cause(cause, "the profile holds a NUL byte");
		segs_free(e.segs, e.nsegs);
		return NULL;
	}

	/* The old text must be valid YAML for its marks to mean anything. */
	e.value = value_text(k, value);
	memset(&r, 0, sizeof r);
	r.e = &e;
	r.outlen = outlen;
	r.cause = cause;
	if (conf_yaml_read(buf, len, "profile", &edit_yaml, edit_walk, &r,
	                   &errs) != 0) {
		util_set_cause(cause, "line %d: %s", errs.list[0].line,
		               errs.list[0].message);
		config_errors_free(&errs);
	}
	out = r.out;
	free(e.value);
	segs_free(e.segs, e.nsegs);
	if (out == NULL)
		return NULL;

	/* Refuse a result the loader would reject. */
	p = profile_load_buffer(out, *outlen, "profile", NULL, &errs);
	if (p == NULL) {
		c = xstrdup("");
		for (i = 0; i < errs.n; i++) {
			char *t = xasprintf("%s%s%s", c, i ? "; " : "",
			                    errs.list[i].message);
			free(c);
			c = t;
		}
		util_set_cause(cause, "%s=%s refused: %s", key, value, c);
		free(c);
		config_errors_free(&errs);
		free(out);
		return NULL;
	}
	profile_free(p);
	return out;
}

/* How long an edit waits for another one of the same folder. */
#define PROFILE_LOCK_WAIT_MS 10000

/*
 * Whether berth may rewrite the profile file `path`: a file whose mode
 * allows no writing is left alone even by root, who could write it anyway
 * (the user protected it), and so is one this user cannot write.
 */
static int
profile_writable(const char *path, const struct stat *sb, char **cause)
{
	if ((sb->st_mode & 0222) == 0) {
		util_set_cause(cause,
		               "%s is read-only (mode %04o), so it was not "
		               "changed; make it writable (chmod u+w) to let "
		               "berth save edits",
		               path, (unsigned int)(sb->st_mode & 07777));
		return -1;
	}
	if (access(path, W_OK) != 0) {
		util_set_cause(cause, "%s: %s, so it was not changed", path,
		               strerror(errno));
		return -1;
	}
	return 0;
}

/* Read, splice and write back `real` (no link), its folder locked. */
static int
profile_set_locked(const char *real, const char *key, const char *value,
                   char **cause)
{
	struct stat sb;
	char *buf, *out;
	size_t len, outlen;
	int r;

	if (stat(real, &sb) != 0) {
		util_set_cause(cause, "%s: %s", real, strerror(errno));
		return -1;
	}
	if (profile_writable(real, &sb, cause) != 0)
		return -1;
	if ((buf = util_read_file(real, &len, cause)) == NULL)
		return -1;
	if ((out = profile_splice(buf, len, key, value, &outlen, cause)) ==
	    NULL) {
		free(buf);
		return -2;
	}
	free(buf);
	r = util_write_file_atomic(real, out, outlen, sb.st_mode & 07777, 1,
	                           cause);
	free(out);
	return r;
}

/*
 * Set a key in the profile file `path`, keeping everything else and the
 * old file as FILE.bak. A symlink is followed: its target is edited (the
 * temporary file and the rename in the target's folder) and the link
 * stays a link. A read-only file is refused. Edits are serialised by a
 * lock on the target's folder, so parallel edits of one file all land.
 * Returns 0, -1 (could not read or write, cause set) or -2 (the key or
 * value was refused, file untouched).
 */
int
profile_set(const char *path, const char *key, const char *value, char **cause)
{
	struct stat sb;
	char *real, *dir;
	int lock, r;

	if ((real = realpath(path, NULL)) == NULL) {
		util_set_cause(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (stat(real, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > 1024 * 1024) {
		util_set_cause(cause, "%s: not a regular file of at most 1MiB",
		               path);
		free(real);
		return -1;
	}
	dir = util_dirname(real);
	lock = util_lock_dir(dir, PROFILE_LOCK_WAIT_MS, cause);
	free(dir);
	if (lock == -1) {
		free(real);
		return -1;
	}
	r = profile_set_locked(real, key, value, cause);
	if (lock >= 0)
		close(lock);
	free(real);
	return r;
}

/*
 * Set a key in profile `name` (or a file path). A shipped profile is first
 * copied to the user's profile directory, which the edit then goes to; the
 * shipped file is never changed. Returns like profile_set.
 */
int
profile_set_named(const char *name, const char *key, const char *value,
                  char **cause)
{
	struct stat sb;
	char *path, *dir, *user, *buf, *out;
	size_t len, outlen, nlen = strlen(name);
	int r, lock;

	if ((path = profile_find(name, cause)) == NULL)
		return -1;
	dir = paths_user_profiles_dir();
	if (strchr(name, '/') != NULL ||
	    (nlen >= 5 && strcmp(name + nlen - 5, ".yaml") == 0) ||
	    (strncmp(path, dir, strlen(dir)) == 0 &&
	     path[strlen(dir)] == '/')) {
		free(dir);
		r = profile_set(path, key, value, cause);
		free(path);
		return r;
	}

	/*
	 * A shipped profile: the edited copy becomes the user's profile.
	 * The folder's lock makes one of two parallel first edits create
	 * the copy and the other edit it.
	 */
	if (util_mkdir_p(dir, 0755, cause) != 0 ||
	    (lock = util_lock_dir(dir, PROFILE_LOCK_WAIT_MS, cause)) == -1) {
		free(dir);
		free(path);
		return -1;
	}
	user = xasprintf("%s/%s.yaml", dir, name);
	free(dir);
	if (lstat(user, &sb) == 0) {
		if (lock >= 0)
			close(lock);
		free(path);
		r = profile_set(user, key, value, cause);
		free(user);
		return r;
	}
	if ((buf = util_read_file(path, &len, cause)) == NULL) {
		if (lock >= 0)
			close(lock);
		free(user);
		free(path);
		return -1;
	}
	free(path);
	if ((out = profile_splice(buf, len, key, value, &outlen, cause)) ==
	    NULL) {
		if (lock >= 0)
			close(lock);
		free(buf);
		free(user);
		return -2;
	}
	free(buf);
	r = util_write_file_atomic(user, out, outlen, 0644, 1, cause);
	if (lock >= 0)
		close(lock);
	free(user);
	free(out);
	return r;
}

/*
 * Set a key in the file a loaded profile came from: the user's file or a
 * file given by path is edited in place; a shipped profile is copied to
 * the user's directory first (profile_set_named). Returns like profile_set;
 * -1 with a cause for a profile of pure defaults, which has no file.
 */
int
profile_save(const struct profile *p, const char *key, const char *value,
             char **cause)
{
	char *shipped;
	size_t len;
	int r;

	if (p->path == NULL) {
		util_set_cause(cause, "profile %s has no file to save to",
		               p->name);
		return -1;
	}
	shipped = paths_shipped_dir("profiles");
	len = strlen(shipped);
	if (strncmp(p->path, shipped, len) == 0 && p->path[len] == '/')
		r = profile_set_named(p->name, key, value, cause);
	else
		r = profile_set(p->path, key, value, cause);
	free(shipped);
	return r;
}
