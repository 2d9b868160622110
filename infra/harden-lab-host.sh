#!/usr/bin/env bash
# OPT-IN hardening for a DEDICATED lab host: pre-load the kernel modules Patchbay's labs and the
# learner's tools use, then switch module loading off (kernel.modules_disabled=1) until the next
# boot. Never run by set-up, by `patchbay serve` or by any test. docs/isolation.md explains why.
#
# Why: a student's shell holds CAP_NET_ADMIN in its node's user namespace. A netlink request for a
# qdisc, a classifier, an nftables expression or a link type the kernel does not have loaded makes
# the kernel load the module itself (request_module → modprobe), e.g. `tc qdisc add … sch_foo` or
# `nft add rule … <expression>`. The seccomp filter cannot see this: it is the same sendmsg() call
# as every legitimate `ip`/`tc`/`nft` request. Old, rarely used modules are where many netfilter and
# tc privilege escalations were found (CVE-2022-2588 cls_route, CVE-2023-32233 nf_tables, …).
# With modules_disabled=1 nothing new can be loaded — by anyone, root included — until a reboot.
#
#   infra/harden-lab-host.sh                 show what would be loaded, change nothing (default)
#   infra/harden-lab-host.sh --apply         load the modules, then set kernel.modules_disabled=1
#   PATCHBAY_EXTRA_MODULES="sch_netem 8021q" infra/harden-lab-host.sh --apply   (more modules first)
#
# Consequences: a lab feature whose module is not in the list stops working until a reboot, and so
# does anything else on the host that needs a new module (USB, file systems, …). Only for a machine
# that does nothing but host labs. To make it permanent, run it at every boot after the network is up
# (e.g. a systemd oneshot unit After=network-online.target), not from sysctl.d (too early).
set -euo pipefail

# What labs use (kernel capabilities.ts, topology compile*.ts) and what the learner's tools inside a
# sandbox reach (iptables-nft, nft, tc with tbf/htb, tcpdump, ping, traceroute).
MODULES=(
  # links
  veth bridge br_netfilter vxlan macvlan dummy
  # netfilter core, conntrack, NAT, nftables and iptables-nft's xt matches/targets
  nf_conntrack nf_nat nf_defrag_ipv4 nf_defrag_ipv6 nf_tables nft_compat nft_chain_nat nft_ct nft_nat
  nft_masq nft_redir nft_reject nft_reject_inet nft_fib nft_fib_inet nft_limit nft_counter nft_log
  nf_reject_ipv4 nf_reject_ipv6 nf_log_syslog
  xt_conntrack xt_MASQUERADE xt_REDIRECT xt_nat xt_addrtype xt_comment xt_tcpudp xt_mark xt_multiport
  xt_statistic xt_physdev xt_LOG xt_limit xt_state xt_icmp
  ebtables ebtable_filter ebtable_nat
  # traffic control the exercises use
  sch_tbf sch_htb sch_fq_codel sch_ingress cls_u32 cls_matchall act_police
  # packet capture and raw sockets
  af_packet
)
if [ -n "${PATCHBAY_EXTRA_MODULES:-}" ]; then
  read -r -a extra <<<"$PATCHBAY_EXTRA_MODULES"
  for m in "${extra[@]}"; do
    [[ $m =~ ^[A-Za-z0-9_-]{1,64}$ ]] || { echo "harden-lab-host: invalid module name: $m" >&2; exit 2; }
    MODULES+=("$m")
  done
fi

apply=0
case "${1-}" in
  '') ;;
  --apply) apply=1 ;;
  *) echo "usage: $0 [--apply]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then echo "harden-lab-host: run as root" >&2; exit 1; fi

if [ ! -e /proc/sys/kernel/modules_disabled ]; then
  echo "harden-lab-host: this kernel has no loadable module support (CONFIG_MODULES unset): nothing can be"
  echo "  autoloaded, there is nothing to do."
  exit 0
fi
if [ "$(cat /proc/sys/kernel/modules_disabled)" = 1 ]; then
  echo "harden-lab-host: module loading is already disabled (until the next boot)."
  exit 0
fi

loaded=() builtin=() missing=()
for m in "${MODULES[@]}"; do
  name=${m//-/_}
  if [ -d "/sys/module/$name" ]; then
    loaded+=("$m")
  elif modprobe -n -q "$m" 2>/dev/null; then
    builtin+=("$m") # present as a module file (or built in): modprobe would succeed
  else
    missing+=("$m")
  fi
done
echo "already loaded or built in: ${loaded[*]:-none}"
echo "to load:                    ${builtin[*]:-none}"
echo "not available here:         ${missing[*]:-none} (labs needing them will not work)"

if [ "$apply" -ne 1 ]; then
  echo
  echo "Nothing changed. Run with --apply to load these and set kernel.modules_disabled=1 until reboot."
  exit 0
fi

for m in "${builtin[@]}"; do
  modprobe "$m" || echo "harden-lab-host: could not load $m (continuing)" >&2
done
sysctl -q -w kernel.modules_disabled=1
echo "kernel.modules_disabled=1: no module can be loaded (or autoloaded) until the next boot."
