/*
 * term.c: the terminal. Opens curses on the user's TERM (falling back to
 * xterm-256color, xterm, then vt100 when the terminfo entry is missing, as
 * happens over SSH with new terminals), installs berth's own signal
 * handlers, and restores the terminal on every way out: normal exit, a
 * signal, a fatal error.
 *
 * Signal handlers only set a bit and write a byte to a self-pipe; the loop
 * polls the pipe and does the work (endwin, resize, suspend) on its own
 * thread, because curses is not async-signal-safe. The one exception is a
 * crash (SIGSEGV, SIGABRT…): there is no loop to come back to, so the
 * handler writes reset sequences prepared at open time with write(2) and
 * lets the signal go on to the handler that was there before (the default
 * one, a core; or a sanitizer's).
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tui/dashboard.h"

/* after every other header: term.h defines capability names as macros */
#include <term.h>

static int term_pipe[2] = {-1, -1};
static volatile sig_atomic_t term_pending;
static int term_is_open;
static SCREEN *term_screen;
static struct termios term_saved;
static int term_saved_ok;

/* What a crash writes: mouse off, attributes, cursor, keypad, screen. */
static char term_reset[256];
static size_t term_reset_len;
static volatile sig_atomic_t term_reset_armed;

static const int term_crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL,
                                         SIGABRT};
static struct sigaction term_crash_old[nitems(term_crash_signals)];

static const struct {
	int sig;
	int bit;
} term_signals[] = {
    {SIGHUP, TERM_SIG_HUP},   {SIGTERM, TERM_SIG_TERM},
    {SIGINT, TERM_SIG_INT},   {SIGQUIT, TERM_SIG_QUIT},
    {SIGTSTP, TERM_SIG_TSTP}, {SIGWINCH, TERM_SIG_WINCH},
    {SIGCONT, TERM_SIG_CONT},
};

static void
term_handler(int sig)
{
	int saved = errno;
	size_t i;
	char b = 's';

	for (i = 0; i < nitems(term_signals); i++) {
		if (term_signals[i].sig == sig)
			term_pending |= term_signals[i].bit;
	}
	if (term_pipe[1] != -1 && write(term_pipe[1], &b, 1) == -1) {
		/* the pipe is full: a wake-up is already queued */
	}
	errno = saved;
}

static void
term_install(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = term_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(sig, &sa, NULL);
}

/*
 * A crash: put the terminal back with what is async-signal-safe (write,
 * tcsetattr), then hand the signal to the previous handler. A fault the
 * kernel raised comes back by itself when the instruction runs again; one
 * sent by kill or abort() is raised again (it arrives once we return).
 */
static void
term_crash(int sig, siginfo_t *si, void *uc)
{
	size_t i, off = 0;
	ssize_t n;

	(void)uc;
	if (term_reset_armed) {
		term_reset_armed = 0;
		while (off < term_reset_len &&
		       (n = write(STDOUT_FILENO, term_reset + off,
		                  term_reset_len - off)) > 0)
			off += (size_t)n;
		if (term_saved_ok)
			tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);
	}
	for (i = 0; i < nitems(term_crash_signals); i++) {
		if (term_crash_signals[i] == sig)
			sigaction(sig, &term_crash_old[i], NULL);
	}
	if (si == NULL || si->si_code <= 0)
		raise(sig);
}

/* tputs() into term_reset, so padding is handled as for the screen. */
static int
term_reset_putc(int c)
{
	if (term_reset_len < sizeof term_reset)
		term_reset[term_reset_len++] = (char)c;
	return c;
}

/* Prepare the crash handler's bytes for this terminal and install it. */
static void
term_crash_arm(int mouse)
{
	static const char *const caps[] = {"sgr0", "cnorm", "rmkx", "rmcup"};
	struct sigaction sa;
	const char *s;
	size_t i;

	term_reset_len = 0;
	/* what ncurses sends to switch xterm mouse reporting on, undone */
	if (mouse) {
		for (s = "\033[?1006l\033[?1002l\033[?1000l"; *s != '\0'; s++)
			term_reset_putc(*s);
	}
	for (i = 0; i < nitems(caps); i++) {
		s = tigetstr(caps[i]);
		if (s != NULL && s != (char *)-1)
			tputs(s, 1, term_reset_putc);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = term_crash;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO;
	for (i = 0; i < nitems(term_crash_signals); i++)
		sigaction(term_crash_signals[i], &sa, &term_crash_old[i]);
	term_reset_armed = 1;
}

/* The terminal is closed: crashes go straight to the old handlers. */
static void
term_crash_disarm(void)
{
	size_t i;

	if (!term_reset_armed)
		return;
	term_reset_armed = 0;
	for (i = 0; i < nitems(term_crash_signals); i++)
		sigaction(term_crash_signals[i], &term_crash_old[i], NULL);
}

/*
 * Whether terminfo's entry for name can address the cursor: 1 yes, 0 no,
 * -1 when there is no entry. Looked up apart from newterm(), which would
 * already write to the terminal.
 */
static int
term_can_address(const char *name)
{
	TERMINAL *saved = cur_term;
	const char *cup;
	int err = 0, ok;

	if (setupterm(name, STDOUT_FILENO, &err) != OK)
		return err == 0 ? -1 : 0; /* 0: a generic (hard-copy) type */
	cup = tigetstr("cup");
	ok = cup != NULL && cup != (char *)-1;
	del_curterm(cur_term);
	set_curterm(saved);
	return ok;
}

/* fatal() calls this before printing: leave the screen readable. */
static void
term_fatal_hook(void)
{
	if (term_is_open) {
		term_is_open = 0;
		term_crash_disarm();
		endwin();
	}
}

/*
 * Open curses on stdin/stdout. Returns -1 and a cause when no terminal
 * type works, -2 when the terminal cannot address the cursor (TERM=dumb:
 * a usage error, the CLI is the way there); *notice (allocated, may stay
 * NULL) says which fallback was taken.
 */
int
term_open(struct cmd_ctx *ctx, char **notice)
{
	static const char *const fallbacks[] = {"xterm-256color", "xterm",
	                                        "vt100"};
	const char *term = getenv("TERM");
	size_t i;
	int fd;

	*notice = NULL;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		*notice = xstrdup("the dashboard needs a terminal (stdin and "
		                  "stdout); try berth --help for commands");
		return -1;
	}
	if (term != NULL && *term != '\0' && term_can_address(term) == 0) {
		*notice = xasprintf("the terminal type '%s' cannot move the "
		                    "cursor, which the dashboard needs; use "
		                    "berth's commands (berth --help)",
		                    term);
		return -2;
	}
	if (pipe(term_pipe) != 0)
		fatal("pipe: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		fd = term_pipe[i];
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	if (tcgetattr(STDIN_FILENO, &term_saved) == 0)
		term_saved_ok = 1;
	for (i = 0; i < nitems(term_signals); i++)
		term_install(term_signals[i].sig);
	util_set_fatal_hook(term_fatal_hook);

	if (term != NULL && *term != '\0')
		term_screen = newterm(term, stdout, stdin);
	for (i = 0; term_screen == NULL && i < nitems(fallbacks); i++) {
		term_screen = newterm(fallbacks[i], stdout, stdin);
		if (term_screen != NULL) {
			*notice = xasprintf(
			    "terminal type '%s' unknown here; using %s",
			    term != NULL ? term : "(unset)", fallbacks[i]);
			setenv("TERM", fallbacks[i], 1);
		}
	}
	if (term_screen == NULL) {
		free(*notice);
		*notice = xasprintf("cannot open the terminal (TERM=%s)",
		                    term != NULL ? term : "(unset)");
		return -1;
	}
	set_term(term_screen);
	term_is_open = 1;
	set_escdelay(100);
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	leaveok(stdscr, TRUE);
	curs_set(0);
	if (ctx->mouse) {
		mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED |
		              BUTTON5_PRESSED,
		          NULL);
		mouseinterval(0);
	}
	term_crash_arm(ctx->mouse);
	return 0;
}

int
term_active(void)
{
	return term_is_open;
}

/*
 * Whether tmux (we run inside it) takes OSC 52 from programs: only with
 * set-clipboard on; "external" (its default) sends its own copies out but
 * drops ours. 1 yes, 0 no, -1 unknown (the question failed: try anyway).
 */
static int
term_tmux_clipboard(void)
{
	char *const argv[] = {"tmux", "show-options", "-gv", "set-clipboard",
	                      NULL};
	struct proc p = {.argv = argv, .flags = PROC_OUT, .timeout_ms = 2000};
	int rc = -1;

	if (proc_run(&p, NULL) == 0 && p.code == 0 && p.out != NULL)
		rc = strncmp(p.out, "on", 2) == 0;
	proc_free(&p);
	return rc;
}

/*
 * Whether the terminal says it takes OSC 52: terminfo's Ms (the
 * extension tmux reads too), or a terminal known to take it whose entry
 * does not say so.
 */
static int
term_osc52_known(void)
{
	/* tmux is not here: inside it, $TMUX says so and it is asked */
	static const char *const terms[] = {"xterm",   "alacritty", "foot",
	                                    "kitty",   "wezterm",   "contour",
	                                    "ghostty", "rio"};
	static const char *const programs[] = {"iTerm.app", "WezTerm", "vscode",
	                                       "ghostty"};
	const char *t = getenv("TERM"), *prog = getenv("TERM_PROGRAM");
	char *ms = tigetstr((char *)"Ms");
	size_t i;

	if (ms != NULL && ms != (char *)-1)
		return 1;
	for (i = 0; t != NULL && i < nitems(terms); i++) {
		if (strncmp(t, terms[i], strlen(terms[i])) == 0 ||
		    (strncmp(t, "xterm-", 6) == 0 &&
		     strstr(t, terms[i]) != NULL))
			return 1;
	}
	for (i = 0; prog != NULL && i < nitems(programs); i++) {
		if (strcmp(prog, programs[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Put text on the clipboard with OSC 52 (ESC ] 52 ; c ; BASE64 BEL), which
 * reaches the user's terminal over SSH too. Inside tmux the sequence goes
 * to tmux, which keeps it as a paste buffer and passes it on to its own
 * terminal when set-clipboard is on. Returns 0, or -1 and *cause when the
 * terminal would drop it: too long, tmux's set-clipboard not on, or a
 * terminal that does not say it takes OSC 52. The text must already be
 * free of control characters (the callers sanitize container text).
 */
int
term_clipboard(const char *text, size_t len, char **cause)
{
	char *b64, *seq;
	size_t off = 0, n;
	ssize_t w;

	if (len > TERM_CLIPBOARD_MAX) {
		util_set_cause(cause,
		               "%zu bytes is more than terminals take from "
		               "OSC 52 (%d)",
		               len, TERM_CLIPBOARD_MAX);
		return -1;
	}
	if (getenv("TMUX") != NULL && *getenv("TMUX") != '\0') {
		if (term_tmux_clipboard() == 0) {
			util_set_cause(cause,
			               "tmux drops OSC 52 from programs: "
			               "tmux set -g set-clipboard on");
			return -1;
		}
	} else if (!term_osc52_known()) {
		const char *t = getenv("TERM");

		util_set_cause(cause,
		               "the terminal (TERM=%s) does not say it takes "
		               "OSC 52 (no Ms in its terminfo)",
		               t != NULL ? t : "unset");
		return -1;
	}
	b64 = util_base64_encode(text, len);
	seq = xasprintf("\033]52;c;%s\007", b64);
	free(b64);
	/* curses writes through stdout: what it buffered goes first */
	fflush(stdout);
	n = strlen(seq);
	while (off < n) {
		w = write(STDOUT_FILENO, seq + off, n - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			util_set_cause(cause,
			               "cannot write to the terminal: %s",
			               strerror(errno));
			free(seq);
			return -1;
		}
		off += (size_t)w;
	}
	free(seq);
	return 0;
}

/*
 * Give the terminal back, once, from the loop (never from a handler):
 * endwin() leaves the alternate screen, shows the cursor and turns the
 * mouse and keypad modes off. A SIGHUP does not always mean the tty is
 * gone (kill -HUP, a tmux pane killed while its client stays): the
 * sequences are written all the same; on a hung-up tty the writes fail
 * with EIO, which is harmless.
 */
void
term_close(void)
{
	if (term_is_open) {
		term_is_open = 0;
		term_crash_disarm();
		endwin();
		if (term_saved_ok)
			tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);
		delscreen(term_screen);
		term_screen = NULL;
	}
	util_set_fatal_hook(NULL);
	if (term_pipe[0] != -1) {
		close(term_pipe[0]);
		close(term_pipe[1]);
		term_pipe[0] = term_pipe[1] = -1;
	}
}

int
term_signal_fd(void)
{
	return term_pipe[0];
}

/* The signals that arrived since the last call (TERM_SIG_* bits). */
int
term_take_signals(void)
{
	char buf[64];
	int bits;

	while (read(term_pipe[0], buf, sizeof buf) > 0)
		;
	bits = term_pending;
	term_pending &= ~bits;
	return bits;
}

/*
 * Ctrl-Z: give the terminal back and stop. SIGSTOP rather than SIGTSTP:
 * the kernel drops SIGTSTP for an orphaned process group (berth started
 * by a script, or by tmux directly), and the user asked to stop. The
 * caller repaints everything once SIGCONT lets us run again.
 */
void
term_suspend(void)
{
	endwin();
	kill(getpid(), SIGSTOP);
	reset_prog_mode();
	clearok(curscr, TRUE);
}

/* Whether PATH has an executable called name. */
static int
term_in_path(const char *name)
{
	const char *path = getenv("PATH"), *end;
	char *f;
	int ok = 0;

	for (; path != NULL && *path != '\0' && !ok; path = end + 1) {
		end = strchr(path, ':');
		if (end == NULL)
			end = path + strlen(path);
		f = xasprintf("%.*s/%s", (int)(end - path),
		              end == path ? "." : path, name);
		ok = access(f, X_OK) == 0;
		free(f);
		if (*end == '\0')
			break;
	}
	return ok;
}

/*
 * Run argv with the terminal while the dashboard steps aside (x: a shell
 * in a container), then take the screen back; the caller repaints it all.
 * Not through proc.c, whose children never get the terminal. Ctrl-C and
 * Ctrl-Z typed meanwhile are the program's: berth forgets them. Returns
 * its exit status, or -1 (errno set: ENOENT when PATH has no argv[0]).
 */
int
term_run(char *const argv[])
{
	pid_t pid;
	int status = 0, r;

	if (!term_in_path(argv[0])) {
		errno = ENOENT;
		return -1;
	}
	endwin();
	fflush(NULL);
	if ((pid = fork()) == -1) {
		r = errno;
		reset_prog_mode();
		errno = r;
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* the dashboard ignores it; an ignored signal stays so across
		 * exec, and a shell's pipes need it */
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		r = waitpid(pid, &status, WUNTRACED);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == pid && WIFSTOPPED(status)) {
			kill(pid, SIGCONT); /* a shell's ^Z: not ours to stop */
			continue;
		}
		break;
	}
	term_pending &= ~(TERM_SIG_INT | TERM_SIG_QUIT | TERM_SIG_TSTP);
	reset_prog_mode();
	clearok(curscr, TRUE);
	if (r != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The terminal's size now, from the kernel (not from LINES/COLUMNS). */
void
term_size(int *rows, int *cols)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	} else {
		*rows = LINES;
		*cols = COLS;
	}
}

/*
 * Block (or unblock) berth's signals in the calling thread; threads created
 * meanwhile inherit the mask, so signals reach the UI thread only.
 */
void
term_block_signals(int block)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < nitems(term_signals); i++)
		sigaddset(&set, term_signals[i].sig);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}
