#!/bin/sh
# make-bundle.sh BUNDLE [SHELL-COMMAND]
#
# Make an OCI bundle folder for ocirt's tests and for trying ocirt by hand:
#   BUNDLE/rootfs       a tiny root filesystem: Debian's static busybox and one symlink per applet
#   BUNDLE/config.json  `ocirt spec` with .process.terminal=false, and, when SHELL-COMMAND is given,
#                       .process.args=["sh","-c",SHELL-COMMAND]
#
# The rootfs is copied (cp -a) from a template kept in $OCIRT_ROOTFS_CACHE (default
# /var/tmp/ocirt-rootfs-cache), built there when it is missing or was built from another busybox.
# ocirt is $OCIRT when set, else ../ocirt next to this script, else `ocirt` on PATH.
# Needs: busybox-static, jq.
set -eu

prog=make-bundle.sh
die() {
  echo "$prog: $*" >&2
  exit 1
}

usage() {
  echo "usage: $prog BUNDLE [SHELL-COMMAND]" >&2
  exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
case $1 in -h | --help) usage ;; esac
bundle=$1
[ -n "$bundle" ] || usage

busybox=/bin/busybox
cache=${OCIRT_ROOTFS_CACHE:-/var/tmp/ocirt-rootfs-cache}

# --- what we need ------------------------------------------------------------------------------
[ -x "$busybox" ] || die "$busybox not found: install the Debian package busybox-static (apt-get install busybox-static)"
# A dynamically linked busybox (Debian's `busybox` package) would not run inside the rootfs.
if command -v ldd >/dev/null 2>&1 && ldd "$busybox" >/dev/null 2>&1; then
  die "$busybox is dynamically linked: install the Debian package busybox-static (apt-get install busybox-static)"
fi
command -v jq >/dev/null 2>&1 || die "jq not found: install the Debian package jq (apt-get install jq)"

script_dir=$(cd "$(dirname "$0")" && pwd)
if [ -n "${OCIRT:-}" ]; then
  ocirt=$OCIRT
elif [ -x "$script_dir/../ocirt" ]; then
  ocirt=$script_dir/../ocirt
elif command -v ocirt >/dev/null 2>&1; then
  ocirt=$(command -v ocirt)
else
  die "ocirt not found: set OCIRT, build it next to contrib/ (./autogen.sh && ./configure && make), or put it on PATH"
fi
[ -x "$ocirt" ] || die "ocirt ($ocirt) is not an executable file"

if [ -e "$bundle/rootfs" ] || [ -L "$bundle/rootfs" ]; then
  die "$bundle/rootfs already exists"
fi
if [ -e "$bundle/config.json" ] || [ -L "$bundle/config.json" ]; then
  die "$bundle/config.json already exists"
fi

# --- the rootfs template -----------------------------------------------------------------------
# Identify the busybox the template was built from, so an upgraded busybox rebuilds it.
busybox_id() {
  # size, mtime and inode: cheap, and changes whenever dpkg replaces the file
  stat -L -c '%s %Y %i' "$busybox"
}

build_template() {
  dest=$1 # an empty directory
  r=$dest/rootfs
  mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin"
  for d in proc sys dev tmp etc root run var/tmp; do
    mkdir -p "$r/$d"
  done
  chmod 1777 "$r/tmp" "$r/var/tmp"
  chmod 0700 "$r/root"
  cp "$busybox" "$r/bin/busybox"
  chmod 0755 "$r/bin/busybox"
  # One relative symlink per applet: usr/bin/id -> ../../bin/busybox
  "$busybox" --list-full | while IFS= read -r applet; do
    case $applet in
      '' | /* | *..*) continue ;; # never expected; never write outside the rootfs
      bin/busybox) continue ;;
    esac
    dir=$(dirname "$applet")
    up=
    rest=$dir
    while [ "$rest" != . ] && [ -n "$rest" ]; do
      up="../$up"
      rest=$(dirname "$rest")
    done
    mkdir -p "$r/$dir"
    # some applets are listed in two folders; the first one wins
    [ -e "$r/$applet" ] || [ -L "$r/$applet" ] || ln -s "${up}bin/busybox" "$r/$applet"
  done
  [ -L "$r/bin/sh" ] || ln -s busybox "$r/bin/sh"
  cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$r/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
  chmod 0644 "$r/etc/passwd" "$r/etc/group"
  busybox_id >"$dest/busybox-id"
}

template_ok() {
  [ -x "$cache/rootfs/bin/busybox" ] && [ -L "$cache/rootfs/bin/sh" ] && [ -f "$cache/busybox-id" ] &&
    [ "$(cat "$cache/busybox-id")" = "$(busybox_id)" ]
}

if ! template_ok; then
  parent=$(dirname "$cache")
  mkdir -p "$parent"
  # Build beside the cache and rename into place, so concurrent runs never see half a template.
  tmp=$(mktemp -d "$parent/.ocirt-rootfs.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  build_template "$tmp"
  if [ -e "$cache" ]; then
    old="$tmp.old"
    mv "$cache" "$old" 2>/dev/null || true
    rm -rf "$old"
  fi
  # Another run may have won the race; its template is as good as ours.
  mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp"
  trap - EXIT
  template_ok || die "could not build the rootfs template in $cache"
fi

# --- the bundle --------------------------------------------------------------------------------
mkdir -p "$bundle"
cp -a "$cache/rootfs" "$bundle/rootfs"

# Let ocirt's own error (one line) through; it names what went wrong.
"$ocirt" spec --bundle "$bundle" || die "\`$ocirt spec --bundle $bundle\` failed"
[ -f "$bundle/config.json" ] || die "\`$ocirt spec --bundle $bundle\` wrote no config.json"

cfg=$bundle/config.json
if [ $# -ge 2 ]; then
  jq --arg cmd "$2" '.process.terminal = false | .process.args = ["sh", "-c", $cmd]' "$cfg" >"$cfg.tmp"
else
  jq '.process.terminal = false' "$cfg" >"$cfg.tmp"
fi || {
  rm -f "$cfg.tmp"
  die "jq could not edit $cfg"
}
mv "$cfg.tmp" "$cfg"
