#!/bin/sh
# berth completion bash|zsh|fish: the scripts load, and the bash one,
# driven as bash drives it (COMP_WORDS/COMP_CWORD -> COMPREPLY), offers the
# commands, subcommands and options of the table and the names berth
# knows (profiles, themes, mounts) by calling berth. zsh runs the same
# functions through bashcompinit; fish has its own and is asked with
# complete -C. Each shell missing here is skipped, saying so.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
t_home
unset BERTH_PROFILE

# The scripts call "berth": the one under test.
bindir=$(cd "$(dirname "$BERTH")" && pwd)
PATH=$bindir:$PATH
export PATH

# Names only this test has: a profile with a mount, and a theme.
mkdir -p "$T_HOME/share" "$T_HOME/config/themes"
berth profile new comptest --mount "$T_HOME/share" >/dev/null 2>&1
is "a profile with a mount is made" "$?" 0
cp "$BERTH_SRCDIR/themes/mono.yaml" "$T_HOME/config/themes/comptheme.yaml"

# Usage errors.
berth completion >/dev/null 2>&1
is "completion without a shell exits 2" "$?" 2
berth completion tcsh >/dev/null 2>&1
is "completion tcsh exits 2" "$?" 2
berth completion --names nothing >/dev/null 2>&1
is "--names of an unknown kind exits 2" "$?" 2

# The commands of berth --help, in its order: what completion must offer.
want_cmds=$(berth --help | sed -n '/^Commands:/,/^$/p' |
	sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' | tr '\n' ' ' | sed 's/ $//')

profiles=$(berth completion --names profile | tr '\n' ' ' | sed 's/ $//')
themes=$(berth completion --names theme | tr '\n' ' ' | sed 's/ $//')

# ---- bash ---------------------------------------------------------------
if ! command -v bash >/dev/null 2>&1; then
	skip "bash completion" "bash is not installed"
else
	out=$(bash -c 'source <(berth completion bash) && complete -p berth' 2>&1)
	is "bash: the script loads and registers berth" "$out" \
		"complete -o default -F _berth berth"

	# comp WORD...: what the completion offers for the last word.
	comp() {
		bash -c 'source <(berth completion bash) || exit 1
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			_berth; echo "${COMPREPLY[*]}"' bash "$@" 2>&1
	}
	is "bash: commands after 'berth '" "$(comp berth '')" "$want_cmds"
	is "bash: commands by prefix" "$(comp berth pro)" "profile"
	is "bash: subcommands after 'berth profile '" \
		"$(comp berth profile '')" \
		"list show validate keys path set new edit rm"
	is "bash: options after 'berth profile new --'" \
		"$(comp berth profile new --)" \
		"--from --cpus --memory --disk --mount --profile --help"
	is "bash: hidden options are left out" \
		"$(comp berth help --)" "--profile --help"
	like "bash: --names profile lists the user's profile" "$profiles" \
		"(^| )comptest( |$)"
	is "bash: profile names after 'berth -p '" "$(comp berth -p '')" \
		"$profiles"
	is "bash: profile names after 'berth profile show '" \
		"$(comp berth profile show '')" "$profiles"
	is "bash: profile names by prefix after --profile=" \
		"$(comp berth status --profile=compt)" "comptest"
	is "bash: profile names for new --from" \
		"$(comp berth profile new x --from comp)" "comptest"
	like "bash: --names theme lists the user's theme" "$themes" \
		"(^| )comptheme( |$)"
	is "bash: theme names after 'berth theme show '" \
		"$(comp berth theme show '')" "$themes"
	is "bash: theme names after --theme" "$(comp berth --theme compt)" \
		"comptheme"
	is "bash: the mounts of -p's profile after 'berth watch '" \
		"$(comp berth -p comptest watch '')" "$T_HOME/share"
	is "bash: fixed words of a command's first argument" \
		"$(comp berth container '')" \
		"start stop restart kill pause unpause rm"
	is "bash: a flag's next word is an argument, not its value" \
		"$(comp berth ps -a '')" ""
	# No VM runs for this profile: no container names, and no hang.
	is "bash: container names without a daemon: none" \
		"$(comp berth -p comptest logs '')" ""
	# Container names from a running daemon: this machine's dockerd,
	# through a profile that talks to it (as docker-lib.sh does).
	if [ -z "${DOCKER:=$(command -v docker)}" ] ||
		! curl -sf --max-time 5 --unix-socket /var/run/docker.sock \
			http://d/_ping >/dev/null 2>&1 ||
		! "$BERTH_SRCDIR/tests/env/busybox-image.sh" >/dev/null 2>&1; then
		skip "bash: container names" "no dockerd or test image here"
	else
		printf 'docker:\n  forward: none\n' \
			>"$T_HOME/config/profiles/dk.yaml"
		cname=berth-test-completion-$$
		T_CLEANUP='"$DOCKER" rm -f "$cname" >/dev/null 2>&1'
		"$DOCKER" create --network none \
			--name "$cname" berth-busybox:test >/dev/null
		is "bash: container names from the daemon" \
			"$(comp berth -p dk logs "$cname")" "$cname"
		is "bash: container names after a subcommand's word" \
			"$(comp berth -p dk container rm "$cname")" "$cname"
	fi
fi

# ---- zsh ----------------------------------------------------------------
if ! command -v zsh >/dev/null 2>&1; then
	skip "zsh completion" "zsh is not installed"
else
	out=$(zsh -fc 'autoload -U compinit; compinit -u -d "$1/zcomp"
		source <(berth completion zsh) && echo loaded' zsh "$T_HOME" 2>&1)
	is "zsh: the script loads" "$out" "loaded"
	# bashcompinit calls the function under sh emulation: do the same.
	out=$(zsh -fc 'autoload -U compinit; compinit -u -d "$1/zcomp"
		source <(berth completion zsh) || exit 1
		emulate sh -c '\''COMP_WORDS=(berth theme show "")
			COMP_CWORD=3; _berth_real; echo "${COMPREPLY[*]}"'\' \
		zsh "$T_HOME" 2>&1)
	# (zsh filters by the typed prefix itself, after the function)
	is "zsh: theme names after 'berth theme show '" "$out" "$themes"
	# The installed way: _berth in fpath, autoloaded by compinit, Tab
	# pressed in an interactive zsh (on a pseudo-terminal, zsh/zpty).
	mkdir -p "$T_HOME/zfp"
	berth completion zsh >"$T_HOME/zfp/_berth"
	out=$(timeout 30 zsh -f -c '
		zmodload zsh/zpty || exit 1
		zpty z env -i PATH="$PATH" BERTH_HOME="$BERTH_HOME" \
			BERTH_DATADIR="$BERTH_DATADIR" HOME="$1" TERM=dumb zsh -f -i
		zpty -w z "fpath=($1/zfp \$fpath); autoload -U compinit"
		zpty -w z "compinit -u -d $1/zcomp2; PS1=\"P> \""
		zpty -w -n z "berth theme show compt"$'\''\t'\''
		end=$((SECONDS + 20)) all=
		while [ $SECONDS -lt $end ]; do
			zpty -r -t z line && all=$all$line || sleep 0.1
			case $all in *"show comptheme "*) break ;; esac
		done
		zpty -d z
		case $all in *"show comptheme "*) echo completed ;; esac
		' zsh "$T_HOME" 2>&1)
	is "zsh: Tab in an interactive zsh completes a theme name" "$out" \
		"completed"
fi

# ---- fish ---------------------------------------------------------------
if ! command -v fish >/dev/null 2>&1; then
	skip "fish completion" "fish is not installed"
else
	fish() { HOME=$T_HOME XDG_CONFIG_HOME=$T_HOME/fish command fish "$@"; }
	out=$(fish -c 'berth completion fish | source; complete -C"berth pro"' 2>&1)
	is "fish: commands by prefix, with their help" "$out" \
		"profile	list, show, check, make, edit and remove profiles"
	out=$(fish -c 'berth completion fish | source
		complete -C"berth profile new --"' 2>&1 | tr '\n' ' ')
	is "fish: options after 'berth profile new --'" "$out" \
		"--cpus --disk --from --help --memory --mount --profile "
	out=$(fish -c 'berth completion fish | source
		complete -C"berth -p compt"' 2>&1)
	is "fish: profile names after 'berth -p '" "$out" "comptest"
fi

done_testing
