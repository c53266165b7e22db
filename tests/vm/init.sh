#!/bin/sh
# /init of the test VM (PID 1).  run-in-vm.sh puts it, with the run's files, in a second cpio archive:
# /.ocirt-vm/: nonce, run.sh (the command, its environment and folder), shares ("TAG PATH" lines),
# cgroup ("1" or "2") and disk (present when a virtio-blk disk is attached).
#
# The command's output goes to the console (ttyS0, the host's stdout), framed by two lines that carry
# the nonce: "OCIRT-VM-START NONCE" before it and "OCIRT-VM-RESULT NONCE STATUS" after it.  The nonce
# file is deleted before the command runs, so the command cannot print a result line the host would
# believe.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
run=/.ocirt-vm

# The initramfs root (rootfs) cannot be pivot_root'ed away from, which every container runtime does:
# run on a bind mount of it instead, moved over /.
if [ "${1:-}" != --rooted ]; then
  mkdir -p /.root
  mount --bind / /.root
  cd /.root || exit 1
  mount --move . /
  exec chroot . /init --rooted
fi

# OCIRT_VM_TRACE=1 on the host: when each step starts, in the boot log (run-in-vm.sh -v shows it)
if [ -e $run/trace ]; then
  step() { read -r up _ </proc/uptime; echo "ocirt-vm init: $up $*"; }
else
  step() { :; }
fi

fatal() {
  echo "ocirt-vm init: $*"
  echo "OCIRT-VM-INIT-FAILED"
  reboot -f
  sleep 1000
}

mount -t proc -o nosuid,nodev,noexec proc /proc || fatal "mount /proc"
step mounts
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys || fatal "mount /sys"
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev || fatal "mount /dev"
# where apparmor_parser loads policy and ocirt looks for AppArmor (run-in-vm.sh --apparmor)
mount -t securityfs -o nosuid,nodev,noexec securityfs /sys/kernel/security || fatal "mount securityfs"
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /dev/shm
mount -t mqueue mqueue /dev/mqueue
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
# Only emergencies on the console: kernel messages (an OOM kill a test provokes) would mix into the
# command's output.  dmesg still has them.
echo 1 >/proc/sys/kernel/printk
# The console is the command's output: no \n -> \r\n translation, no echo.
stty -F /dev/console -onlcr -echo 2>/dev/null
hostname ocirt-vm
ip link set lo up 2>/dev/null

[ -r $run/nonce ] || fatal "no $run/nonce: boot this initramfs with tests/vm/run-in-vm.sh"
nonce=$(cat $run/nonce)
rm -f $run/nonce

step modprobe
modprobe -a virtio_pci 9pnet_virtio 9p virtio_blk || fatal "modprobe of the virtio drivers failed"

step cgroups
# cgroups: v2 alone (with cgroup_no_v1=all on the kernel command line) or, like the host these tests
# run on, v1 hybrid: one v1 hierarchy per controller, a named systemd one, cgroup2 at unified/.
if [ "$(cat $run/cgroup 2>/dev/null)" = 2 ]; then
  mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 /sys/fs/cgroup || fatal "mount cgroup2"
  # Delegate every controller to the children, as systemd does on a v2 host.
  for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
    echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || fatal "enable the $c controller"
  done
else
  mount -t tmpfs -o nosuid,nodev,noexec,mode=0755 tmpfs /sys/fs/cgroup || fatal "mount /sys/fs/cgroup"
  for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
    mkdir /sys/fs/cgroup/$c
    mount -t cgroup -o nosuid,nodev,noexec,$c cgroup /sys/fs/cgroup/$c || fatal "mount the v1 $c hierarchy"
  done
  mkdir /sys/fs/cgroup/systemd /sys/fs/cgroup/unified
  mount -t cgroup -o nosuid,nodev,noexec,none,name=systemd cgroup /sys/fs/cgroup/systemd || fatal "mount name=systemd"
  mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup/unified || fatal "mount cgroup2 at unified/"
fi

step shares
# The host's folders, at the same paths.  The virtio-9p devices may show up just after modprobe.
while read -r tag path; do
  mkdir -p "$path"
  n=0
  until mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 "$tag" "$path" 2>/dev/null; do
    n=$((n + 1))
    [ $n -lt 50 ] || fatal "cannot mount the 9p share $tag on $path"
    sleep 0.1
  done
done <$run/shares

step disk
if [ -e $run/disk ]; then
  n=0
  until [ -b /dev/vda ]; do
    n=$((n + 1))
    [ $n -lt 50 ] || fatal "the virtio-blk disk did not show up as /dev/vda"
    sleep 0.1
  done
fi

# contrib/make-bundle.sh's rootfs template, built by prepare.sh from this very busybox: say so, in the
# form make-bundle.sh checks (its copy of busybox differs from ours only in inode)
t=/var/tmp/ocirt-rootfs-cache
if [ -f $t/busybox-id ] && cmp -s /bin/busybox $t/rootfs/bin/busybox; then
  stat -L -c '%s %Y %i' /bin/busybox >$t/busybox-id
fi

step command
echo "OCIRT-VM-START $nonce"
bash $run/run.sh </dev/null >/dev/console 2>&1
status=$?
sync
printf '\nOCIRT-VM-RESULT %s %s\n' "$nonce" "$status"
reboot -f
sleep 1000
