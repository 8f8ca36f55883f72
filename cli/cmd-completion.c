/*
 * cmd-completion.c: `berth completion bash|zsh|fish` prints a completion
 * script generated from the command table (cmd_table, each command's
 * subcommands and declared options with what their values name), so it
 * cannot drift from --help and berth(1). Names that change (profiles,
 * themes, mounts, containers) are asked of berth at completion time:
 * `berth completion --names KIND` prints them, one a line.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int cmd_completion_exec(struct cmd_ctx *, struct cmd_args *);

const struct cmd_entry cmd_completion_entry = {
    .name = "completion",
    .usage = "bash|zsh|fish",
    .args = "bash|zsh|fish",
    .help = "print a shell completion script",
    .options =
        (const struct cmd_option[]){
            {0, "names", "KIND",
             "print the profile, theme or mount names (for the scripts)",
             CMD_KIND_NONE, CMD_OPT_HIDDEN},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .max_args = 1,
    .words = (const char *const[]){"bash", "zsh", "fish", NULL},
    .exec = cmd_completion_exec,
};

/* The name the scripts use for a kind of value. */
static const char *
cmd_completion_kind(enum cmd_kind k)
{
	switch (k) {
	case CMD_KIND_NONE:
		return "text";
	case CMD_KIND_COMMAND:
		return "command";
	case CMD_KIND_PROFILE:
		return "profile";
	case CMD_KIND_THEME:
		return "theme";
	case CMD_KIND_CONTAINER:
		return "container";
	case CMD_KIND_MOUNT:
		return "mount";
	case CMD_KIND_IMAGE:
		return "image";
	case CMD_KIND_FILE:
		return "file";
	}
	return "text";
}

static int
cmd_completion_opt_end(const struct cmd_option *o)
{
	return o->ch == 0 && o->name == NULL;
}

/*
 * The options of key (berth's own for top == NULL, else top's or its
 * subcommand sub's, with -p/-h every command takes): each form, space
 * separated, as the scripts offer them.
 */
static void
cmd_completion_opt_words(const struct cmd_option *list, FILE *f,
                         const char **sep)
{
	const struct cmd_option *o;

	for (o = list; o != NULL && !cmd_completion_opt_end(o); o++) {
		if (o->flags & CMD_OPT_HIDDEN)
			continue;
		if (o->name != NULL) {
			fprintf(f, "%s--%s", *sep, o->name);
			*sep = " ";
		}
		if (o->ch != 0) {
			fprintf(f, "%s-%c", *sep, o->ch);
			*sep = " ";
		}
	}
}

/*
 * The value kinds of key's options as shell case patterns: "KEY:--name" or
 * "KEY:-c" maps to the kind, flags to "flag".
 */
static void
cmd_completion_opt_kinds(const char *key, const struct cmd_option *list,
                         FILE *f, int fish)
{
	const struct cmd_option *o;
	const char *kind;

	for (o = list; o != NULL && !cmd_completion_opt_end(o); o++) {
		kind = o->value != NULL ? cmd_completion_kind(o->kind) : "flag";
		if (fish)
			fputs("        case ", f);
		else
			fputs("\t", f);
		if (o->name != NULL)
			fprintf(f, "'%s:--%s'", key, o->name);
		if (o->ch != 0)
			fprintf(f, "%s'%s:-%c'",
			        o->name != NULL ? (fish ? " " : "|") : "", key,
			        o->ch);
		if (fish)
			fprintf(f, "\n            echo %s\n", kind);
		else
			fprintf(f, ") echo %s ;;\n", kind);
	}
}

/*
 * s in single quotes: a quote in it becomes '\'' for sh, \' for fish
 * (which also reads \\ there).
 */
static void
cmd_completion_quote(const char *s, FILE *f, int fish)
{
	fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputs(fish ? "\\'" : "'\\''", f);
		else if (*s == '\\' && fish)
			fputs("\\\\", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* Whether the CLI has command c (the ':' line's own commands are left out). */
static int
cmd_completion_cli(const struct cmd_entry *c)
{
	return (c->flags & CMD_LINE_ONLY) == 0;
}

/*
 * The data functions both bash (and zsh through it) and fish read, from
 * the table: _berth_subs CMD, _berth_opts KEY, _berth_optkind KEY OPT,
 * _berth_argkind KEY N (N = the argument's index). KEY is "", "CMD" or
 * "CMD SUB".
 */
static void
cmd_completion_data(FILE *f, int fish)
{
	const struct cmd_entry *c, *s;
	const char *sep;
	char *key;
	size_t i;
	/* fish: function NAME; switch ARG; case PAT; ...; end; end */
	const char *fn_open = fish ? "function %s\n    switch \"$argv[1]\"\n"
	                           : "%s() {\n\tcase \"$1\" in\n";
	const char *fn_close = fish ? "    end\nend\n\n" : "\tesac\n}\n\n";

	/* _berth_cmds: every command. */
	fprintf(f, fish ? "function _berth_cmds\n    echo"
	                : "_berth_cmds() {\n\techo");
	for (i = 0; cmd_table[i] != NULL; i++)
		if (cmd_completion_cli(cmd_table[i]))
			fprintf(f, " %s", cmd_table[i]->name);
	fputs(fish ? "\nend\n\n" : "\n}\n\n", f);

	/* _berth_help CMD: the help line (fish shows it beside the name). */
	fprintf(f, fn_open, "_berth_help");
	for (i = 0; cmd_table[i] != NULL; i++) {
		c = cmd_table[i];
		if (!cmd_completion_cli(c) || c->help == NULL)
			continue;
		fprintf(f,
		        fish ? "        case '%s'\n            echo "
		             : "\t'%s') echo ",
		        c->name);
		cmd_completion_quote(c->help, f, fish);
		fputs(fish ? "\n" : " ;;\n", f);
	}
	fputs(fn_close, f);

	fprintf(f, fn_open, "_berth_subs");
	for (i = 0; cmd_table[i] != NULL; i++) {
		c = cmd_table[i];
		if (!cmd_completion_cli(c) || c->subs == NULL)
			continue;
		fprintf(f,
		        fish ? "        case '%s'\n            echo"
		             : "\t'%s') echo",
		        c->name);
		for (s = c->subs; s->name != NULL; s++)
			fprintf(f, " %s", s->name);
		fputs(fish ? "\n" : " ;;\n", f);
	}
	fputs(fn_close, f);

	fprintf(f, fn_open, "_berth_opts");
	fprintf(f, fish ? "        case ''\n            echo " : "\t'') echo ");
	sep = "";
	cmd_completion_opt_words(cmd_main_entry.options, f, &sep);
	fputs(fish ? "\n" : " ;;\n", f);
	for (i = 0; cmd_table[i] != NULL; i++) {
		c = cmd_table[i];
		if (!cmd_completion_cli(c))
			continue;
		fprintf(f,
		        fish ? "        case '%s'\n            echo "
		             : "\t'%s') echo ",
		        c->name);
		sep = "";
		cmd_completion_opt_words(c->options, f, &sep);
		cmd_completion_opt_words(cmd_args_common, f, &sep);
		fputs(fish ? "\n" : " ;;\n", f);
		for (s = c->subs; s != NULL && s->name != NULL; s++) {
			fprintf(f,
			        fish ? "        case '%s %s'\n            echo "
			             : "\t'%s %s') echo ",
			        c->name, s->name);
			sep = "";
			cmd_completion_opt_words(s->options, f, &sep);
			cmd_completion_opt_words(c->options, f, &sep);
			cmd_completion_opt_words(cmd_args_common, f, &sep);
			fputs(fish ? "\n" : " ;;\n", f);
		}
	}
	fputs(fn_close, f);

	/* _berth_optkind "KEY:OPT": what the option's value names. */
	fprintf(f, fn_open, "_berth_optkind");
	cmd_completion_opt_kinds("", cmd_main_entry.options, f, fish);
	for (i = 0; cmd_table[i] != NULL; i++) {
		c = cmd_table[i];
		if (!cmd_completion_cli(c))
			continue;
		cmd_completion_opt_kinds(c->name, c->options, f, fish);
		cmd_completion_opt_kinds(c->name, cmd_args_common, f, fish);
		for (s = c->subs; s != NULL && s->name != NULL; s++) {
			key = xasprintf("%s %s", c->name, s->name);
			cmd_completion_opt_kinds(key, s->options, f, fish);
			cmd_completion_opt_kinds(key, c->options, f, fish);
			cmd_completion_opt_kinds(key, cmd_args_common, f, fish);
			free(key);
		}
	}
	fputs(fish ? "        case '*'\n            echo text\n"
	           : "\t*) echo text ;;\n",
	      f);
	fputs(fn_close, f);

	/*
	 * _berth_argkind "KEY:N": fixed words for a command's first
	 * argument, else the kind its arguments name.
	 */
	fprintf(f, fn_open, "_berth_argkind");
	for (i = 0; cmd_table[i] != NULL; i++) {
		c = cmd_table[i];
		if (!cmd_completion_cli(c) || c->subs != NULL)
			continue;
		if (c->words != NULL) {
			size_t w;

			fprintf(f,
			        fish ? "        case '%s:0'\n            echo "
			               "words"
			             : "\t'%s:0') echo words",
			        c->name);
			for (w = 0; c->words[w] != NULL; w++)
				fprintf(f, " %s", c->words[w]);
			fputs(fish ? "\n" : " ;;\n", f);
		}
		fprintf(f,
		        fish ? "        case '%s:*'\n            echo %s\n"
		             : "\t'%s:'*) echo %s ;;\n",
		        c->name, cmd_completion_kind(c->kind));
	}
	for (i = 0; cmd_table[i] != NULL; i++) {
		c = cmd_table[i];
		if (!cmd_completion_cli(c))
			continue;
		for (s = c->subs; s != NULL && s->name != NULL; s++)
			fprintf(f,
			        fish ? "        case '%s %s:*'\n            "
			               "echo %s\n"
			             : "\t'%s %s:'*) echo %s ;;\n",
			        c->name, s->name, cmd_completion_kind(s->kind));
	}
	fputs(fish ? "        case '*'\n            echo text\n"
	           : "\t*) echo text ;;\n",
	      f);
	fputs(fn_close, f);
}

/*
 * The shell logic, the same for every command. Dynamic names come from
 * `berth completion --names KIND` (containers: `berth ps -a`, under a 1 s
 * timeout so a dead or slow daemon never holds the shell).
 */
static const char cmd_completion_bash[] =
    "# _berth_names KIND [-p PROFILE]: names berth knows now.\n"
    "_berth_names() {\n"
    "\tlocal to=\n"
    "\tcommand -v timeout >/dev/null 2>&1 && to='timeout 1'\n"
    "\tcase \"$1\" in\n"
    "\tprofile | theme | mount)\n"
    "\t\t$to \"${_berth_bin:-berth}\" ${2:+-p \"$2\"} completion --names "
    "\"$1\" 2>/dev/null ;;\n"
    "\tcontainer)\n"
    "\t\t$to \"${_berth_bin:-berth}\" ${2:+-p \"$2\"} ps -a 2>/dev/null |\n"
    "\t\t\tawk 'NR > 1 { print $2 }' ;;\n"
    "\tcommand) _berth_cmds ;;\n"
    "\tesac\n"
    "}\n"
    "\n"
    "# _berth_values KIND CUR PROFILE: fill COMPREPLY.\n"
    "_berth_values() {\n"
    "\tcase \"$1\" in\n"
    "\tfile) COMPREPLY=($(compgen -f -- \"$2\")) ;;\n"
    "\tprofile | theme | mount | container | command)\n"
    "\t\tlocal names\n"
    "\t\tnames=$(_berth_names \"$1\" \"$3\")\n"
    "\t\tlocal IFS=$'\\n'\n"
    "\t\tCOMPREPLY=($(compgen -W \"$names\" -- \"$2\"))\n"
    "\t\t;;\n"
    "\t*) COMPREPLY=() ;;\n"
    "\tesac\n"
    "}\n"
    "\n"
    "_berth() {\n"
    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} key= cmd= w kind subs i "
    "n=0 prof= skip=\n"
    "\tCOMPREPLY=()\n"
    "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
    "\t\tw=${COMP_WORDS[i]}\n"
    "\t\tif [ -n \"$skip\" ]; then\n"
    "\t\t\t[ \"$skip\" = profile ] && prof=$w\n"
    "\t\t\tskip=\n"
    "\t\t\tcontinue\n"
    "\t\tfi\n"
    "\t\tcase $w in\n"
    "\t\t--) ;;\n"
    "\t\t--*=*) [ \"${w%%=*}\" = --profile ] && prof=${w#*=} ;;\n"
    "\t\t-*)\n"
    "\t\t\tkind=$(_berth_optkind \"$key:$w\")\n"
    "\t\t\t[ \"$kind\" != flag ] && skip=$kind\n"
    "\t\t\t;;\n"
    "\t\t*)\n"
    "\t\t\tif [ -z \"$cmd\" ]; then\n"
    "\t\t\t\tcmd=$w key=$w\n"
    "\t\t\telif [ \"$key\" = \"$cmd\" ] && subs=$(_berth_subs \"$cmd\") &&\n"
    "\t\t\t\t[ -n \"$subs\" ]; then\n"
    "\t\t\t\tkey=\"$cmd $w\"\n"
    "\t\t\telse\n"
    "\t\t\t\tn=$((n + 1))\n"
    "\t\t\tfi\n"
    "\t\t\t;;\n"
    "\t\tesac\n"
    "\tdone\n"
    "\tif [ -n \"$skip\" ]; then\n"
    "\t\t_berth_values \"$skip\" \"$cur\" \"$prof\"\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\tcase $cur in\n"
    "\t--*=*)\n"
    "\t\tkind=$(_berth_optkind \"$key:${cur%%=*}\")\n"
    "\t\t_berth_values \"$kind\" \"${cur#*=}\" \"$prof\"\n"
    "\t\treturn 0\n"
    "\t\t;;\n"
    "\t-*)\n"
    "\t\tCOMPREPLY=($(compgen -W \"$(_berth_opts \"$key\")\" -- \"$cur\"))\n"
    "\t\treturn 0\n"
    "\t\t;;\n"
    "\tesac\n"
    "\tif [ -z \"$cmd\" ]; then\n"
    "\t\tCOMPREPLY=($(compgen -W \"$(_berth_cmds)\" -- \"$cur\"))\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\tsubs=$(_berth_subs \"$cmd\")\n"
    "\tif [ \"$key\" = \"$cmd\" ] && [ -n \"$subs\" ]; then\n"
    "\t\tCOMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\tkind=$(_berth_argkind \"$key:$n\")\n"
    "\tcase $kind in\n"
    "\twords\\ *) COMPREPLY=($(compgen -W \"${kind#words }\" -- \"$cur\")) "
    ";;\n"
    "\t*) _berth_values \"$kind\" \"$cur\" \"$prof\" ;;\n"
    "\tesac\n"
    "\treturn 0\n"
    "}\n";

static void
cmd_completion_print_bash(FILE *f)
{
	fputs("# bash completion for berth, generated by `berth completion "
	      "bash`.\n\n",
	      f);
	cmd_completion_data(f, 0);
	fputs(cmd_completion_bash, f);
	fputs("\ncomplete -o default -F _berth berth\n", f);
}

/*
 * zsh runs the bash functions through bashcompinit: one logic for both,
 * tested through bash. Installed as _berth in site-functions, the file is
 * the body of the autoloaded function _berth; the first call defines the
 * rest and completes.
 */
static void
cmd_completion_print_zsh(FILE *f)
{
	fputs("#compdef berth\n"
	      "# zsh completion for berth, generated by `berth completion "
	      "zsh`.\n"
	      "autoload -U +X bashcompinit && bashcompinit\n\n",
	      f);
	cmd_completion_data(f, 0);
	/* The bash logic under another name: _berth is this file's. */
	{
		const char *p = strstr(cmd_completion_bash, "_berth() {");
		fwrite(cmd_completion_bash, 1,
		       (size_t)(p - cmd_completion_bash), f);
		fputs("_berth_real() {", f);
		fputs(p + strlen("_berth() {"), f);
	}
	fputs("\ncomplete -o default -F _berth_real berth\n"
	      "if [ \"${funcstack[1]}\" = _berth ]; then\n"
	      "\t_bash_complete -o default -F _berth_real\n"
	      "fi\n",
	      f);
}

static const char cmd_completion_fish[] =
    "function _berth_names\n"
    "    set -l to\n"
    "    command -q timeout; and set to timeout 1\n"
    "    set -l p\n"
    "    test -n \"$argv[2]\"; and set p -p $argv[2]\n"
    "    switch $argv[1]\n"
    "        case profile theme mount\n"
    "            $to berth $p completion --names $argv[1] 2>/dev/null\n"
    "        case container\n"
    "            $to berth $p ps -a 2>/dev/null | awk 'NR > 1 { print $2 }'\n"
    "        case command\n"
    "            string split ' ' (_berth_cmds)\n"
    "    end\n"
    "end\n"
    "\n"
    "# Where the command line is: key, then the kind the word to complete\n"
    "# names, or 'opts', 'cmds', 'subs', 'words W...'.\n"
    "function _berth_state\n"
    "    set -l toks (commandline -opc)\n"
    "    set -e toks[1]\n"
    "    set -l key ''\n"
    "    set -l cmd ''\n"
    "    set -l skip ''\n"
    "    set -l prof ''\n"
    "    set -l n 0\n"
    "    for w in $toks\n"
    "        if test -n \"$skip\"\n"
    "            test \"$skip\" = profile; and set prof $w\n"
    "            set skip ''\n"
    "            continue\n"
    "        end\n"
    "        switch $w\n"
    "            case '--'\n"
    "            case '--*=*'\n"
    "            case '-*'\n"
    "                set -l k (_berth_optkind \"$key:$w\")\n"
    "                test \"$k\" != flag; and set skip $k\n"
    "            case '*'\n"
    "                if test -z \"$cmd\"\n"
    "                    set cmd $w\n"
    "                    set key $w\n"
    "                else if test \"$key\" = \"$cmd\"; and test -n "
    "\"(_berth_subs $cmd)\"\n"
    "                    set key \"$cmd $w\"\n"
    "                else\n"
    "                    set n (math $n + 1)\n"
    "                end\n"
    "        end\n"
    "    end\n"
    "    echo $prof\n"
    "    set -l cur (commandline -ct)\n"
    "    if test -n \"$skip\"\n"
    "        echo $skip\n"
    "    else if string match -q -- '-*' $cur\n"
    "        echo opts $key\n"
    "    else if test -z \"$cmd\"\n"
    "        echo command\n"
    "    else if test \"$key\" = \"$cmd\"; and test -n \"(_berth_subs "
    "$cmd)\"\n"
    "        echo subs $cmd\n"
    "    else\n"
    "        _berth_argkind \"$key:$n\"\n"
    "    end\n"
    "end\n"
    "\n"
    "function _berth_complete\n"
    "    set -l st (_berth_state)\n"
    "    set -l prof $st[1]\n"
    "    set -l what (string split ' ' -- $st[2])\n"
    "    switch $what[1]\n"
    "        case opts\n"
    "            string split ' ' -- (_berth_opts \"$what[2..-1]\")\n"
    "        case subs\n"
    "            string split ' ' -- (_berth_subs $what[2])\n"
    "        case words\n"
    "            string join \\n -- $what[2..-1]\n"
    "        case command\n"
    "            for c in (string split ' ' -- (_berth_cmds))\n"
    "                printf '%s\\t%s\\n' $c (_berth_help $c)\n"
    "            end\n"
    "        case file\n"
    "            __fish_complete_path (commandline -ct)\n"
    "        case profile theme mount container\n"
    "            _berth_names $what[1] $prof\n"
    "    end\n"
    "end\n"
    "\n"
    "complete -c berth -f -a '(_berth_complete)'\n";

static void
cmd_completion_print_fish(FILE *f)
{
	fputs("# fish completion for berth, generated by `berth completion "
	      "fish`.\n\n",
	      f);
	cmd_completion_data(f, 1);
	fputs(cmd_completion_fish, f);
}

/* The names of kind, one a line: what the scripts offer. */
static int
cmd_completion_names(struct cmd_ctx *ctx, const char *kind)
{
	char **names;
	size_t n, i;

	if (strcmp(kind, "profile") == 0 || strcmp(kind, "theme") == 0) {
		names = kind[0] == 'p' ? profile_list_names(&n)
		                       : theme_list_names(&n);
		for (i = 0; i < n; i++) {
			/* File names may hold anything: only clean ones. */
			if (strcspn(names[i], " \t\n\\'\"$`") ==
			    strlen(names[i]))
				printf("%s\n", names[i]);
			free(names[i]);
		}
		free(names);
		return BERTH_EXIT_OK;
	}
	if (strcmp(kind, "mount") == 0) {
		struct profile *p;
		char *cause = NULL;

		if ((p = profile_open(ctx->profile, &cause)) == NULL) {
			free(cause);
			return BERTH_EXIT_FAILED;
		}
		for (i = 0; i < p->nmounts; i++)
			if (strcspn(p->mounts[i].host, " \t\n") ==
			    strlen(p->mounts[i].host))
				printf("%s\n", p->mounts[i].host);
		profile_free(p);
		return BERTH_EXIT_OK;
	}
	return cmd_usage_error(&cmd_completion_entry,
	                       "--names takes profile, theme or mount, not %s",
	                       kind);
}

static int
cmd_completion_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	const char *names = cmd_args_get(a, "names");

	if (names != NULL)
		return cmd_completion_names(ctx, names);
	if (a->argc != 1)
		return cmd_usage_error(&cmd_completion_entry,
		                       "name a shell: bash, zsh or fish");
	if (strcmp(a->argv[0], "bash") == 0)
		cmd_completion_print_bash(stdout);
	else if (strcmp(a->argv[0], "zsh") == 0)
		cmd_completion_print_zsh(stdout);
	else if (strcmp(a->argv[0], "fish") == 0)
		cmd_completion_print_fish(stdout);
	else
		return cmd_usage_error(
		    &cmd_completion_entry,
		    "no completion for %s: bash, zsh or fish", a->argv[0]);
	return BERTH_EXIT_OK;
}
