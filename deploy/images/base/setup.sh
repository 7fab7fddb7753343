# Runs once inside the image being built, with the image's own busybox: the applets, the folders and their modes.
set -eu
/bin/busybox --install -s /bin
mkdir -p /sbin /usr/bin /usr/sbin /root /home/corral /tmp /var/tmp /run /proc /sys /dev
# Shebangs name /usr/bin/env.
ln -sf ../../bin/env /usr/bin/env
chmod 0700 /root
chmod 1777 /tmp /var/tmp
chmod 0640 /etc/shadow
chown 1000:1000 /home/corral
chmod 0755 /home/corral
printf 'NAME="%s"\nID=corral-busybox\nVERSION_ID=%s\n' "$1" "$2" >/etc/os-release
