# Runs one bash completion as if TAB were pressed at the end of a line:
#
#     bash completion-driver.bash BASH_COMPLETION LINE COMPLETION_FILE...
#
# sources bash-completion's main script and the completion files, splits
# LINE into COMP_WORDS the way readline does, calls the function that
# completes the line's first word, and prints COMPREPLY one per line,
# sorted.  compopt works only under readline, so it is a no-op here.
set -u
. "$1" || exit 1
line=$2
shift 2
for f; do
	. "$f" || exit 1
done
compopt() { :; }

# Readline's split: blanks separate words, and each run of characters from
# COMP_WORDBREAKS (here = and :) is a word of its own.  The word under the
# cursor is empty only after a blank.
COMP_WORDS=()
rest=$line
word=
while [ -n "$rest" ]; do
	c=${rest:0:1}
	if [[ $c == [[:blank:]] ]]; then
		[ -n "$word" ] && COMP_WORDS+=("$word")
		word=
		rest=${rest:1}
	elif [[ $c == [=:] ]]; then
		[ -n "$word" ] && COMP_WORDS+=("$word")
		word=${rest%%[!=:]*}
		rest=${rest:${#word}}
		COMP_WORDS+=("$word")
		word=
	else
		word+=$c
		rest=${rest:1}
	fi
done
if [ -n "$word" ] || [[ $line == *[[:blank:]] ]]; then
	COMP_WORDS+=("$word")
fi
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
COMP_TYPE=9
COMP_KEY=9

spec=$(complete -p "${COMP_WORDS[0]}") || exit 1
func=${spec#*-F }
func=${func%% *}
COMPREPLY=()
"$func" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" \
    "${COMP_WORDS[COMP_CWORD - 1]}"
[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort
