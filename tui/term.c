/*
 * term.c: the terminal. Opens curses on the user's TERM (falling back to
 * xterm-256color, xterm, then vt100 when the terminfo entry is missing, as
 * happens over SSH with new terminals), installs berth's own signal
 * handlers, and restores the terminal on every way out: normal exit, a
 * signal, a fatal error.
 *
 * Signal handlers only set a bit and write a byte to a self-pipe; the loop
 * polls the pipe and does the work (endwin, resize, suspend) on its own
 * thread, because curses is not async-signal-safe.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "dashboard.h"

static int term_pipe[2] = {-1, -1};
static volatile sig_atomic_t term_pending;
static int term_is_open;
static SCREEN *term_screen;
static struct termios term_saved;
static int term_saved_ok;

static const struct {
	int sig;
	int bit;
} term_signals[] = {
    {SIGHUP, TERM_SIG_HUP},     {SIGTERM, TERM_SIG_TERM},
    {SIGINT, TERM_SIG_INT},     {SIGTSTP, TERM_SIG_TSTP},
    {SIGWINCH, TERM_SIG_WINCH}, {SIGCONT, TERM_SIG_CONT},
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

/* fatal() calls this before printing: leave the screen readable. */
static void
term_fatal_hook(void)
{
	if (term_is_open) {
		term_is_open = 0;
		endwin();
	}
}

/*
 * Open curses on stdin/stdout. Returns -1 and a cause when no terminal
 * type works; *notice (allocated, may stay NULL) says which fallback was
 * taken.
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
	return 0;
}

int
term_active(void)
{
	return term_is_open;
}

/*
 * Give the terminal back. After SIGHUP the tty is gone (or belongs to
 * someone else): restore its modes with an ioctl but write nothing.
 */
void
term_close(int hangup)
{
	if (term_is_open) {
		term_is_open = 0;
		if (hangup) {
			if (term_saved_ok)
				tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);
		} else
			endwin();
		if (!hangup)
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
