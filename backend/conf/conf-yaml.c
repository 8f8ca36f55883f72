/*
 * conf-yaml.c: the one YAML reader of berth's configuration (profiles, their
 * edits, themes, config.yaml's keys: section). A file's text is loaded with
 * libyaml's document API into one document, handed to the reader's walk
 * function, and the rest of the stream is checked: a second document would
 * be silently ignored, so it is refused. Problems become config_errors at
 * FILE:LINE:COL (1-based, from the parser's marks).
 *
 * The small helpers below are what the readers walk documents with: the
 * nodes of a mapping or sequence by index, a key's value, a scalar's text,
 * a node's line and column, and the byte offset of a mark (libyaml counts
 * characters) for the editor that splices values into the text.
 */

#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

static void conf_yaml_position(const char *, size_t, size_t, int *, int *);

/*
 * config_errors: add one problem; line and col are 1-based, 0 = unknown.
 * The message is stored sanitized, safe to print on a terminal.
 */
void
config_errors_add(struct config_errors *errs, const char *file, int line,
                  int col, const char *fmt, ...)
{
	struct config_error *e;
	va_list ap;
	char *raw;

	errs->list = xreallocarray(errs->list, errs->n + 1, sizeof *errs->list);
	e = &errs->list[errs->n++];
	e->file = xstrdup(file != NULL ? file : "-");
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	raw = xvasprintf(fmt, ap);
	va_end(ap);
	/* Messages quote the file's text, which may hold escapes. */
	e->message = util_sanitize_dup(raw, strlen(raw));
	free(raw);
}

/*
 * A file that could not be read: cause is util_read_file's, which starts
 * with the path the error names already, so that part is left out. Frees
 * cause.
 */
void
config_errors_add_cause(struct config_errors *errs, const char *path,
                        char *cause)
{
	size_t plen = strlen(path);
	const char *msg = cause;

	if (strncmp(msg, path, plen) == 0 && strncmp(msg + plen, ": ", 2) == 0)
		msg += plen + 2;
	config_errors_add(errs, path, 0, 0, "%s", msg);
	free(cause);
}

/* Print each problem as one FILE:LINE:COL: message line. */
void
config_errors_print(const struct config_errors *errs, FILE *f)
{
	const struct config_error *e;
	size_t i;

	for (i = 0; i < errs->n; i++) {
		e = &errs->list[i];
		if (e->line > 0)
			fprintf(f, "%s:%d:%d: %s\n", e->file, e->line, e->col,
			        e->message);
		else
			fprintf(f, "%s: %s\n", e->file, e->message);
	}
}

void
config_errors_free(struct config_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++) {
		free(errs->list[i].file);
		free(errs->list[i].message);
	}
	free(errs->list);
	errs->list = NULL;
	errs->n = 0;
}

/* Line and column (1-based) of a byte offset, for reader errors. */
static void
conf_yaml_position(const char *buf, size_t len, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

/*
 * The standard wording of a syntax error: bytes that are not text are
 * placed by their offset (libyaml leaves no mark for them), the rest by the
 * problem's mark, with the construct it was in.
 */
void
conf_yaml_syntax_error(const struct conf_yaml *y, const yaml_parser_t *parser,
                       int later, struct config_errors *errs)
{
	int line, col;

	(void)later;
	if (parser->error == YAML_READER_ERROR) {
		conf_yaml_position(y->buf, y->len, parser->problem_offset,
		                   &line, &col);
		config_errors_add(errs, y->file, line, col,
		                  "not valid text: %s",
		                  parser->problem ? parser->problem : "?");
		return;
	}
	line = (int)parser->problem_mark.line + 1;
	col = (int)parser->problem_mark.column + 1;
	if (parser->context != NULL)
		config_errors_add(errs, y->file, line, col,
		                  "YAML syntax error: %s (%s at line %d)",
		                  parser->problem ? parser->problem : "?",
		                  parser->context,
		                  (int)parser->context_mark.line + 1);
	else
		config_errors_add(errs, y->file, line, col,
		                  "YAML syntax error: %s",
		                  parser->problem ? parser->problem : "?");
}

/* Report a parse failure in the kind's words. */
static void
conf_yaml_syntax(const struct conf_yaml *y, const struct conf_yaml_kind *kind,
                 const yaml_parser_t *parser, int later,
                 struct config_errors *errs)
{
	if (parser->error == YAML_MEMORY_ERROR)
		fatal("libyaml: out of memory");
	if (kind->syntax != NULL)
		kind->syntax(y, parser, later, errs);
	else
		conf_yaml_syntax_error(y, parser, later, errs);
}

/*
 * Read buf[0..len) as one YAML document: call `walk` with its root node
 * (NULL for an empty stream), then refuse a second document. Returns 0, or
 * -1 if the text is not valid YAML or holds more than one document (the
 * problems are in errs; `walk` was not called for a syntax error in the
 * first document). The document lives only during the walk.
 */
int
conf_yaml_read(const char *buf, size_t len, const char *file,
               const struct conf_yaml_kind *kind, conf_yaml_walk_cb *walk,
               void *arg, struct config_errors *errs)
{
	struct conf_yaml y;
	yaml_parser_t parser;
	yaml_document_t extra;
	yaml_node_t *root, *next;
	int rc = 0;

	memset(&y, 0, sizeof y);
	y.file = file != NULL ? file : "-";
	y.buf = buf;
	y.len = len;
	if (!yaml_parser_initialize(&parser))
		fatal("libyaml: out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &y.doc)) {
		conf_yaml_syntax(&y, kind, &parser, 0, errs);
		yaml_parser_delete(&parser);
		return -1;
	}
	root = yaml_document_get_root_node(&y.doc);
	walk(&y, root, arg);
	if (root != NULL && kind->one_document != NULL) {
		if (!yaml_parser_load(&parser, &extra)) {
			conf_yaml_syntax(&y, kind, &parser, 1, errs);
			rc = -1;
		} else {
			next = yaml_document_get_root_node(&extra);
			if (next != NULL) {
				/* Where the document starts, or its root. */
				const yaml_mark_t *m = kind->mark_root
				                           ? &next->start_mark
				                           : &extra.start_mark;

				config_errors_add(errs, y.file,
				                  (int)m->line + 1,
				                  (int)m->column + 1, "%s",
				                  kind->one_document);
				rc = -1;
			}
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&y.doc);
	yaml_parser_delete(&parser);
	return rc;
}

/* The root node of the document, or NULL if it is empty. */
yaml_node_t *
conf_yaml_root(struct conf_yaml *y)
{
	return yaml_document_get_root_node(&y->doc);
}

/* The node of an id (from a pair or an item), or NULL. */
yaml_node_t *
conf_yaml_node(struct conf_yaml *y, int id)
{
	return yaml_document_get_node(&y->doc, id);
}

/* How many pairs a mapping has or items a sequence; 0 for a scalar. */
size_t
conf_yaml_count(const yaml_node_t *n)
{
	if (n == NULL)
		return 0;
	if (n->type == YAML_MAPPING_NODE)
		return (size_t)(n->data.mapping.pairs.top -
		                n->data.mapping.pairs.start);
	if (n->type == YAML_SEQUENCE_NODE)
		return (size_t)(n->data.sequence.items.top -
		                n->data.sequence.items.start);
	return 0;
}

/* The key node of pair i of a mapping (i < conf_yaml_count). */
yaml_node_t *
conf_yaml_key(struct conf_yaml *y, const yaml_node_t *map, size_t i)
{
	return conf_yaml_node(y, map->data.mapping.pairs.start[i].key);
}

/* The value node of pair i of a mapping (i < conf_yaml_count). */
yaml_node_t *
conf_yaml_value(struct conf_yaml *y, const yaml_node_t *map, size_t i)
{
	return conf_yaml_node(y, map->data.mapping.pairs.start[i].value);
}

/* Item i of a sequence (i < conf_yaml_count). */
yaml_node_t *
conf_yaml_item(struct conf_yaml *y, const yaml_node_t *seq, size_t i)
{
	return conf_yaml_node(y, seq->data.sequence.items.start[i]);
}

/* The value of the first scalar key `key` in a mapping, or NULL. */
yaml_node_t *
conf_yaml_get(struct conf_yaml *y, const yaml_node_t *map, const char *key)
{
	const char *s;
	size_t i, n;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	n = conf_yaml_count(map);
	for (i = 0; i < n; i++) {
		s = conf_yaml_scalar(conf_yaml_key(y, map, i));
		if (s != NULL && strcmp(s, key) == 0)
			return conf_yaml_value(y, map, i);
	}
	return NULL;
}

/* A scalar node's text, or NULL if the node is not a scalar. */
const char *
conf_yaml_scalar(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* The 1-based line of a node's start. */
int
conf_yaml_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

/* The 1-based column of a node's start. */
int
conf_yaml_col(const yaml_node_t *n)
{
	return (int)n->start_mark.column + 1;
}

/* Add a problem at a node (NULL: the whole file) to errs. */
void
conf_yaml_error(struct config_errors *errs, const char *file,
                const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (n != NULL)
		config_errors_add(errs, file, conf_yaml_line(n),
		                  conf_yaml_col(n), "%s", msg);
	else
		config_errors_add(errs, file, 0, 0, "%s", msg);
	free(msg);
}

/*
 * The byte offset in the text of a mark's index: libyaml counts characters
 * (and skips a byte order mark), so every mark goes through here before it
 * touches the buffer.
 */
size_t
conf_yaml_byte(const struct conf_yaml *y, size_t index)
{
	const unsigned char *p = (const unsigned char *)y->buf;
	size_t i = 0, n = 0;

	if (y->len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < y->len && n < index) {
		if (p[i] < 0x80)
			i += 1;
		else if ((p[i] & 0xe0) == 0xc0)
			i += 2;
		else if ((p[i] & 0xf0) == 0xe0)
			i += 3;
		else
			i += 4;
		n++;
	}
	return i < y->len ? i : y->len;
}

/*
 * Whether the document uses an alias (*name). The document API resolves an
 * alias to its anchor's node, so an alias shows as a node referred to
 * twice (or the root referred to from inside itself).
 */
int
conf_yaml_has_alias(struct conf_yaml *y)
{
	yaml_node_t *n, *start = y->doc.nodes.start, *top = y->doc.nodes.top;
	size_t nnodes = (size_t)(top - start), i;
	unsigned char *seen;
	int found = 0, id;
	yaml_node_item_t *it;
	yaml_node_pair_t *pair;

	if (nnodes == 0)
		return 0;
	seen = xcalloc(nnodes + 1, 1);
	seen[1] = 1; /* the root: referring to it at all is an alias */
	for (n = start; n < top && !found; n++) {
		if (n->type == YAML_SEQUENCE_NODE) {
			for (it = n->data.sequence.items.start;
			     it < n->data.sequence.items.top && !found; it++) {
				id = *it;
				found = id < 1 || (size_t)id > nnodes ||
				        seen[id]++ != 0;
			}
		} else if (n->type == YAML_MAPPING_NODE) {
			for (pair = n->data.mapping.pairs.start;
			     pair < n->data.mapping.pairs.top && !found;
			     pair++) {
				for (i = 0; i < 2 && !found; i++) {
					id = i == 0 ? pair->key : pair->value;
					found = id < 1 || (size_t)id > nnodes ||
					        seen[id]++ != 0;
				}
			}
		}
	}
	free(seen);
	return found;
}
