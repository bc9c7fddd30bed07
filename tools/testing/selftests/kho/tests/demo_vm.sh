# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 9 9
# khotest-machines: small
# khotest-arch: x86_64
# khotest-cmdline: kho=on
# khotest-initramfs: vm
# khotest-timeout: 600
#
# The story of make demo: a VM keeps running while its host kexecs into a
# new kernel. The vm_kexec scenario (same checks, same results), telling
# the reader what happens on lines that start with "DEMO:": the VM's
# console before and after the jump, the blackout, and what was kept in
# place (the guest RAM memfd) against what was copied (the device state).

VM_DEMO=1
. /kho/tests/vm_kexec.sh
