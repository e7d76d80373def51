#!/usr/bin/env bash
# The portable build's check (cmake/check_portable.cmake, docs/portability.md): fails if a source
# the build compiles, or a header of the project it includes (followed through "..." includes),
# includes a Linux-only header or one of the Linux backends, or if a target links a Linux-only
# library.
# Usage: check_portable.sh PROJECT_DIR MANIFEST
#   MANIFEST has a line "source PATH" for every compiled file and "link TARGET LIBRARY" for every
#   library a target links. Prints each violation as file:line (or target) and exits 1 if any.
# The one exception is a block under `#if defined(__linux__)`, `#elif defined(__linux__)` or
# `#ifdef __linux__`, up to its #elif, #else or #endif: code a Linux host compiles in place of
# its BSD or macOS counterpart (reading a MAC through AF_PACKET's sockaddr_ll in io/portable),
# which a port does not compile.
set -u
project=${1:?usage: check_portable.sh PROJECT_DIR MANIFEST}
manifest=${2:?usage: check_portable.sh PROJECT_DIR MANIFEST}
forbidden_headers='^(linux|asm|asm-generic|xdp|bpf|libmnl|nftables|systemd)/'
forbidden_headers+='|^sys/(epoll|eventfd|signalfd|timerfd|inotify)\.h$|^netpacket/packet\.h$'
forbidden_project='^io/(af_xdp|af_packet|netlink)/'
forbidden_libs='xdp|bpf|mnl|nftables|systemd|ipvsd_io_af_xdp|ipvsd_io_af_packet|ipvsd_io_netlink'
status=0

# Prints "LINE<TAB>KIND<TAB>NAME" for every #include of FILE outside a __linux__ block; KIND is
# < or ".
includes() {
  awk '
    function linux_guard(l) {
      return l ~ /^[ \t]*#[ \t]*(if|elif)[ \t]+defined[ \t]*\(?[ \t]*__linux__[ \t]*\)?[ \t]*$/ ||
             l ~ /^[ \t]*#[ \t]*ifdef[ \t]+__linux__[ \t]*$/
    }
    /^[ \t]*#[ \t]*if/ { stack[++depth] = linux_guard($0); skip += stack[depth]; next }
    /^[ \t]*#[ \t]*(elif|else)/ {
      if (depth && stack[depth]) { skip--; stack[depth] = 0 }
      if (depth && linux_guard($0)) { skip++; stack[depth] = 1 }
      next
    }
    /^[ \t]*#[ \t]*endif/ { if (depth) { skip -= stack[depth]; depth-- } next }
    skip == 0 && match($0, /^[ \t]*#[ \t]*include[ \t]*[<"][^>"]+[>"]/) {
      s = substr($0, RSTART, RLENGTH)
      sub(/^[ \t]*#[ \t]*include[ \t]*/, "", s)
      printf "%d\t%s\t%s\n", NR, substr(s, 1, 1), substr(s, 2, length(s) - 2)
    }' "$1"
}

declare -A seen=()
queue=()
while read -r kind a b; do
  case $kind in
    source) queue+=("$a") ;;
    link)
      if [[ ${b,,} =~ $forbidden_libs ]]; then
        echo "check_portable: target $a links $b, a Linux-only library"
        status=1
      fi ;;
  esac
done <"$manifest"

while [ ${#queue[@]} -gt 0 ]; do
  f=${queue[0]}
  queue=("${queue[@]:1}")
  [ -n "${seen[$f]:-}" ] && continue
  seen[$f]=1
  while IFS=$'\t' read -r line kind name; do
    if [ "$kind" = "<" ]; then
      if [[ $name =~ $forbidden_headers ]]; then
        echo "check_portable: ${f#"$project"/}:$line: includes <$name>, a Linux-only header"
        status=1
      fi
      continue
    fi
    if [[ $name =~ $forbidden_project ]]; then
      echo "check_portable: ${f#"$project"/}:$line: includes \"$name\", a Linux-only backend"
      status=1
      continue
    fi
    # The project's include directories: the file's own, src/, the top (tests/).
    for dir in "$(dirname "$f")" "$project/src" "$project"; do
      if [ -f "$dir/$name" ]; then
        queue+=("$(realpath "$dir/$name")")
        break
      fi
    done
  done < <(includes "$f")
done
if [ $status -ne 0 ]; then
  echo "check_portable: the portable build (IPVSD_PORTABLE) must not use Linux-only code (docs/portability.md)"
else
  echo "check_portable: ${#seen[@]} files, no Linux-only include or library"
fi
exit $status
