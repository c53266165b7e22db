#!/bin/bash
# prepare.sh: make (once) and print the folder holding what the test VM boots:
#   vmlinux          Debian's kernel, its payload unpacked to an uncompressed ELF (PVH entry: no firmware
#                    decompression step, the fastest boot under software emulation)
#   initramfs.cpio   an uncompressed newc cpio: busybox-static, the Debian packages in VM_PACKAGES (their
#                    programs and data, not their docs) and the programs in VM_PROGRAMS with their ldd
#                    libraries, the kernel modules in VM_MODULES (with their dependencies, depmod'd).
#                    run-in-vm.sh appends its own archive with /init (init.sh) and the run's files.
#
# The folder is $OCIRT_VM_CACHE/KVER (default /var/tmp/ocirt-vm-cache), KVER being the kernel
# `linux-image-amd64` depends on (or $OCIRT_VM_KVER).  The kernel comes from /boot and /lib/modules when
# that kernel is installed on the host, else from its package, fetched with `apt-get download` and
# unpacked with `dpkg -x` inside the cache: nothing is installed, no bootloader or initramfs hook runs.
# The initramfs is rebuilt when this script, a package or a program in it changes (initramfs.stamp).
#
# Prints the folder on stdout; everything else goes to stderr.  Fails loudly, never half-done: each
# piece is built in a temporary folder and renamed into place, under a lock.
set -euo pipefail

prog=prepare.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() {
  echo "$prog: $*" >&2
  exit 1
}
note() { echo "$prog: $*" >&2; }
# set -e alone would end the script silently
trap 'die "command failed at line $LINENO"' ERR

# What the guest gets: the files of whole packages (less their docs), single programs (found on PATH),
# and kernel modules with what they depend on.  Later tests add what they need here.  Every megabyte
# counts: under software emulation the kernel unpacks the initramfs at some 10 MB a second.
VM_PACKAGES="bash coreutils grep sed findutils mawk diffutils gzip e2fsprogs bats jq dmsetup"
VM_PROGRAMS="ip unshare nsenter setpriv prlimit flock mount umount losetup findmnt lsblk mountpoint tar xz"
# PACKAGE:PATH: the file PATH of a package the host does not have installed (apparmor's would start a
# service), fetched once with `apt-get download` into the cache's debs/ and unpacked with `dpkg -x`.
VM_DEB_FILES="apparmor:sbin/apparmor_parser"
VM_MODULES="virtio_pci virtio_blk 9pnet_virtio 9p loop dm_mod dm_thin_pool dm_snapshot dm_zero ext4 overlay
  veth crc32c_generic"

cache=${OCIRT_VM_CACHE:-/var/tmp/ocirt-vm-cache}

for tool in dpkg dpkg-query apt-cache cpio depmod modprobe ldd flock sha256sum xz; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run contrib/install-deps.sh"
done
[ -x /bin/busybox ] || die "/bin/busybox not found: install busybox-static (contrib/install-deps.sh)"

# --- which kernel ------------------------------------------------------------------------------
kver=${OCIRT_VM_KVER:-}
if [ -z "$kver" ]; then
  # "Depends: linux-image-6.1.0-57-amd64" -> 6.1.0-57-amd64.  apt-cache takes seconds: remember its
  # answer until the package lists change.
  lists=$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0)
  read -r seen kver 2>/dev/null <"$cache/linux-image-amd64.kver" || true
  if [ "${seen:-}" != "$lists" ] || [ -z "${kver:-}" ]; then
    kver=$(apt-cache depends linux-image-amd64 2>/dev/null |
      sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -n 1)
    if [ -n "$kver" ]; then
      mkdir -p "$cache"
      echo "$lists $kver" >"$cache/linux-image-amd64.kver"
    fi
  fi
  [ -n "$kver" ] || die "cannot tell which kernel linux-image-amd64 depends on (apt-cache depends linux-image-amd64): run apt-get update, or set OCIRT_VM_KVER"
fi
case $kver in */* | .* | '') die "bad kernel version '$kver'" ;; esac

dir=$cache/$kver
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock -w 900 9 || die "timed out waiting for the lock on $dir"

tmp=$(mktemp -d "$dir/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# --- the kernel: vmlinux and the module tree ------------------------------------------------------
# vmlinuz_payload BZIMAGE OUT: the kernel ELF inside a bzImage.  The setup header (Documentation/x86/
# boot.rst) says where the compressed payload is: it starts payload_offset (0x248) bytes into the
# protected-mode code, which follows the (setup_sects (0x1f1) + 1) 512-byte setup sectors, and is
# payload_length (0x24c) long, its last 4 bytes being the decompressed size.  The payload's magic says
# how it is compressed.
u8() { od -A n -t u1 -j "$2" -N 1 "$1" | tr -d ' '; }
u32() { od -A n -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
vmlinuz_payload() {
  local img=$1 out=$2 magic sects poff plen start
  magic=$(od -A n -t x1 -j 514 -N 4 "$img" | tr -d ' ')
  [ "$magic" = 48647253 ] || die "$img is not a bzImage (no HdrS magic)"
  sects=$(u8 "$img" $((0x1f1)))
  [ "$sects" -ne 0 ] || sects=4
  poff=$(u32 "$img" $((0x248)))
  plen=$(u32 "$img" $((0x24c)))
  [ "$poff" -gt 0 ] && [ "$plen" -gt 4 ] || die "$img has no payload in its setup header (boot protocol < 2.08?)"
  start=$(((sects + 1) * 512 + poff))
  dd if="$img" of="$tmp/payload" iflag=skip_bytes,count_bytes skip="$start" count=$((plen - 4)) bs=1M status=none
  magic=$(od -A n -t x1 -N 6 "$tmp/payload" | tr -d ' ')
  local -a unpack
  case $magic in
    fd377a585a00) unpack=(xz -dc --single-stream) ;;
    1f8b*) unpack=(gzip -dc) ;;
    28b52ffd*) unpack=(zstd -dcq) ;;
    425a68*) unpack=(bzip2 -dc) ;;
    5d0000*) unpack=(xz -dc --format=lzma) ;;
    02214c18*) unpack=(lz4 -dc) ;;
    *) die "$img: unknown payload compression (magic $magic at offset $start)" ;;
  esac
  command -v "${unpack[0]}" >/dev/null 2>&1 || die "${unpack[0]} not found: needed to unpack $img"
  # gzip warns (status 2) about the trailing bytes some kernels pad the payload with: judge by the ELF
  "${unpack[@]}" <"$tmp/payload" >"$out" 2>"$tmp/unpack.err" || true
  [ "$(od -A n -t x1 -N 4 "$out" | tr -d ' ')" = 7f454c46 ] ||
    die "$img: unpacking the payload with ${unpack[*]} gave no ELF: $(cat "$tmp/unpack.err")"
  rm -f "$tmp/payload"
}

# kernel.done holds the module list it was made for
if [ "$(cat "$dir/kernel.done" 2>/dev/null)" != "$(echo $VM_MODULES)" ]; then
  rm -rf "$dir/vmlinux" "$dir/modules" "$dir/kernel.done"
  src=
  if [ -f "/boot/vmlinuz-$kver" ] && [ -d "/lib/modules/$kver/kernel" ]; then
    note "using the installed kernel $kver"
    src=/
  else
    note "fetching linux-image-$kver (apt-get download) into $dir"
    mkdir "$tmp/deb"
    (cd "$tmp/deb" && apt-get -q -o APT::Sandbox::User=root download "linux-image-$kver" >&2) ||
      die "apt-get download linux-image-$kver failed (apt-get update first?)"
    dpkg -x "$tmp/deb"/linux-image-"$kver"_*.deb "$tmp/root" || die "dpkg -x of linux-image-$kver failed"
    rm -rf "$tmp/deb"
    src=$tmp/root
  fi
  vmlinuz_payload "$src/boot/vmlinuz-$kver" "$tmp/vmlinux"
  cp "$src/boot/config-$kver" "$tmp/config" 2>/dev/null || true

  # The modules VM_MODULES need, from the dependency list of the full tree (depmod of a copy when the
  # package ships no modules.dep).
  mods=$src/lib/modules/$kver
  moddir=$src
  if [ ! -s "$mods/modules.dep" ]; then
    [ "$src" != / ] || die "/lib/modules/$kver has no modules.dep"
    depmod -b "$src" "$kver" || die "depmod -b $src $kver failed"
  fi
  # shellcheck disable=SC2086 # the module list is meant to split
  modprobe -d "$moddir" -S "$kver" --show-depends -a $VM_MODULES >"$tmp/deps" ||
    die "modprobe --show-depends failed for: $VM_MODULES"
  out=$tmp/modules/lib/modules/$kver
  mkdir -p "$out"
  while read -r kind path _; do
    [ "$kind" = insmod ] || continue # "builtin NAME": nothing to copy
    rel=${path#"$mods"/}
    [ "$rel" != "$path" ] || die "module $path is outside $mods"
    mkdir -p "$out/$(dirname "$rel")"
    cp "$path" "$out/$rel"
  done <"$tmp/deps"
  cp "$mods"/modules.order "$mods"/modules.builtin "$out"/
  cp "$mods"/modules.builtin.modinfo "$out"/ 2>/dev/null || true
  depmod -b "$tmp/modules" "$kver" || die "depmod -b of the module subset failed"
  rm -rf "$tmp/root"
  mv "$tmp/vmlinux" "$dir/vmlinux"
  [ ! -e "$tmp/config" ] || mv "$tmp/config" "$dir/config"
  mv "$tmp/modules" "$dir/modules"
  echo $VM_MODULES >"$dir/kernel.done"
  note "kernel $kver: $dir/vmlinux, $(find "$dir/modules" -name '*.ko*' | wc -l) modules"
fi

# --- the initramfs -----------------------------------------------------------------------------
# shellcheck disable=SC2086
versions=$(dpkg-query -W -f='${Package} ${Version} ${db:Status-Status}\n' $VM_PACKAGES busybox-static 2>&1) ||
  die "a package the VM needs is not installed (run contrib/install-deps.sh): $versions"
if grep -v ' installed$' <<<"$versions" >&2; then
  die "the packages above are not fully installed: run contrib/install-deps.sh"
fi
# the packages of VM_DEB_FILES, fetched once (the file name has the version)
mkdir -p "$dir/debs"
declare -A debs=()
for pf in $VM_DEB_FILES; do
  pkg=${pf%%:*}
  [ -z "${debs[$pkg]:-}" ] || continue
  deb=$(find "$dir/debs" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
  if [ -z "$deb" ]; then
    note "fetching $pkg (apt-get download) into $dir/debs"
    mkdir -p "$tmp/dl"
    (cd "$tmp/dl" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2) ||
      die "apt-get download $pkg failed (apt-get update first?)"
    deb=$(find "$tmp/dl" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
    [ -n "$deb" ] || die "apt-get download $pkg left no ${pkg}_*.deb"
    mv "$deb" "$dir/debs/"
    deb=$dir/debs/$(basename "$deb")
  fi
  debs[$pkg]=$deb
done

stamp=$({
  echo "$kver"
  echo "$versions"
  echo "$VM_DEB_FILES ${debs[*]}"
  for p in $VM_PROGRAMS; do stat -L -c '%n %s %Y' "$(command -v "$p")" 2>&1; done
  cat "$here/prepare.sh" "$here/../../contrib/make-bundle.sh"
} | sha256sum | cut -d' ' -f1)

if [ "$(cat "$dir/initramfs.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -s "$dir/initramfs.cpio" ] || [ ! -s "$dir/initramfs.list" ]; then
  note "building the initramfs for $kver"
  r=$tmp/initramfs
  mkdir -p "$r"/usr/bin "$r"/usr/sbin "$r"/usr/lib "$r"/usr/lib64
  # merged /usr, like the host: the paths dpkg lists (/bin/ls) and those ldd prints land in one place
  for d in bin sbin lib lib64; do ln -s "usr/$d" "$r/$d"; done
  for d in dev proc sys run tmp root etc var/tmp mnt; do mkdir -p "$r/$d"; done
  chmod 1777 "$r/tmp" "$r/var/tmp"
  chmod 0700 "$r/root"

  # the packages' files, less documentation
  # shellcheck disable=SC2086
  dpkg-query -L $VM_PACKAGES | while IFS= read -r f; do
    case $f in
      /usr/share/doc/* | /usr/share/man/* | /usr/share/info/* | /usr/share/locale/* | \
        /usr/share/lintian/* | /usr/share/bug/* | /usr/share/bash-completion/* | \
        /usr/share/zsh/* | /usr/share/fish/* | /usr/share/menu/* | /etc/init.d/* | /etc/cron* | \
          /lib/systemd/* | /usr/lib/systemd/* | /etc/systemd/*) continue ;;
    esac
    if [ -L "$f" ] || [ -f "$f" ]; then echo "${f#/}"; fi
  done | tar -C / --no-recursion -cf - -T - | tar -C "$r" --keep-directory-symlink -xf - ||
    die "copying the files of $VM_PACKAGES failed"
  for p in $VM_PROGRAMS; do
    f=$(command -v "$p") || die "$p not found: install the package that has it (contrib/install-deps.sh)"
    f=$(readlink -f "$f")
    mkdir -p "$r$(dirname "$f")"
    cp "$f" "$r$f"
  done
  for pf in $VM_DEB_FILES; do
    pkg=${pf%%:*} f=${pf#*:}
    [ -d "$tmp/deb-$pkg" ] || dpkg -x "${debs[$pkg]}" "$tmp/deb-$pkg" || die "dpkg -x of ${debs[$pkg]} failed"
    [ -f "$tmp/deb-$pkg/$f" ] || die "$pkg has no /$f"
    mkdir -p "$r/$(dirname "$f")"
    cp "$tmp/deb-$pkg/$f" "$r/$f"
  done
  rm -rf "$tmp"/deb-*
  cp /bin/busybox "$r/usr/bin/busybox"
  # busybox's applets where no real program is: init, switch_root, sh, ...
  /bin/busybox --list-full | while IFS= read -r a; do
    [ -e "$r/$a" ] || [ -L "$r/$a" ] || ln -s /usr/bin/busybox "$r/$a"
  done
  # /bin/sh is bash: busybox's sh would run its own applets before the GNU programs on PATH
  ln -sf bash "$r/usr/bin/sh"

  # the libraries of every ELF file in it
  find "$r" -type f \( -perm -u+x -o -name '*.so*' \) -print0 | { xargs -0 -r ldd 2>/dev/null || true; } |
    awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]+ \(0x/ { print $1 }' | sort -u >"$tmp/libs"
  while IFS= read -r lib; do
    [ -e "$r$lib" ] && continue
    mkdir -p "$r$(dirname "$lib")"
    cp -L "$lib" "$r$lib"
  done <"$tmp/libs"

  cp -a "$dir/modules/lib/modules" "$r/usr/lib/"

  # contrib/make-bundle.sh's busybox rootfs template, made here: in the guest, where every fork costs
  # tens of milliseconds, its one `ln` per applet would take half a minute.  Its ocirt is a stand-in
  # (the template is all we keep); init.sh tells make-bundle.sh the template is the guest busybox's.
  printf '#!/bin/sh\n# stand-in for `ocirt spec --bundle DIR`\necho "{}" >"$3/config.json"\n' >"$tmp/spec"
  chmod +x "$tmp/spec"
  OCIRT=$tmp/spec OCIRT_ROOTFS_CACHE=$r/var/tmp/ocirt-rootfs-cache "$here/../../contrib/make-bundle.sh" "$tmp/bundle" >&2 ||
    die "contrib/make-bundle.sh could not build its rootfs template"
  rm -rf "$tmp/bundle"

  printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  echo ocirt-vm >"$r/etc/hostname"
  ln -sf /proc/self/mounts "$r/etc/mtab"

  (cd "$r" && find . -mindepth 1 | LC_ALL=C sort) >"$tmp/initramfs.list"
  (cd "$r" && cpio --quiet -o -H newc -R 0:0 <"$tmp/initramfs.list") >"$tmp/initramfs.cpio" || die "cpio failed"
  # run-in-vm.sh adds only the libraries this list lacks
  mv "$tmp/initramfs.list" "$dir/initramfs.list"
  mv "$tmp/initramfs.cpio" "$dir/initramfs.cpio"
  echo "$stamp" >"$dir/initramfs.stamp"
  note "initramfs: $dir/initramfs.cpio ($(($(stat -c %s "$dir/initramfs.cpio") / 1048576)) MiB)"
fi

echo "$dir"
