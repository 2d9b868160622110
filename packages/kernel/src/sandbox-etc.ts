// The sandbox's /etc (sandbox.ts mounts it): a few read-only host files the tools need, plus
// passwd, group, hosts and profile generated under /run/patchbay/sandbox-etc. The host's passwd,
// shadow and configuration never appear inside.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export const SANDBOX_ETC_DIR = '/run/patchbay/sandbox-etc';
/** The student's uid and gid inside the sandbox (nsowner maps it to a unique host uid per namespace). */
export const SANDBOX_UID = 1000;
export const SANDBOX_HOME = '/home/student';
/**
 * The host uid of a sandbox in a namespace owned by the init user namespace (a host node's: scenario
 * steps only, sandbox.ts). Unprivileged, owns no file, below nsowner's range (300000+), which it never
 * meets: nsowner's uids are per student namespace, this one is shared by such sandboxes, each in its
 * own pid namespace (they cannot see or signal one another).
 */
export const SANDBOX_HOST_UID = 299_999;

/** A hostname for the sandbox: RFC 1123 labels, at most 64 characters. */
export const HOSTNAME_RE =
  /^(?=.{1,64}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Host files shown read-only in the sandbox's /etc when they exist (--ro-bind-try). */
export const SANDBOX_ETC_FILES: readonly string[] = [
  'alternatives',
  'iproute2',
  'protocols',
  'services',
  'ethertypes',
  'networks',
  'nsswitch.conf',
  'host.conf',
  'gai.conf',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'bash.bashrc',
  'inputrc',
  'terminfo',
  'ssl',
  'ca-certificates',
  'vim',
  'nanorc',
  'python3',
  'python3.11',
];
const PASSWD =
  'root:x:0:0:root:/root:/usr/sbin/nologin\n' +
  `student:x:${SANDBOX_UID}:${SANDBOX_UID}:student:${SANDBOX_HOME}:/bin/bash\n` +
  // the same name for SANDBOX_HOST_UID (getpwnam finds 1000 first; getpwuid finds either)
  `student:x:${SANDBOX_HOST_UID}:${SANDBOX_HOST_UID}:student:${SANDBOX_HOME}:/bin/bash\n` +
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const GROUP = `root:x:0:\nstudent:x:${SANDBOX_UID}:\nstudent:x:${SANDBOX_HOST_UID}:\nnogroup:x:65534:\n`;
/** PATH inside the sandbox: the network tools live in sbin too. */
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
// Our own /etc/profile, not the host's: Debian's resets PATH for every user but root to one
// without sbin, and the learner's tools (ip's friends: sysctl, iptables, nft, arping) live there.
const PROFILE =
  '# /etc/profile of a Patchbay sandbox: the network tools live in sbin too.\n' +
  `PATH=${SANDBOX_PATH}\nexport PATH\n` +
  'if [ "${PS1-}" ] && [ "${BASH-}" ] && [ "$BASH" != /bin/sh ] && [ -f /etc/bash.bashrc ]; then . /etc/bash.bashrc; fi\n';

function writeIfChanged(path: string, content: string): void {
  try {
    if (readFileSync(path, 'utf8') === content) return;
  } catch {
    /* missing */
  }
  // rename: a sandbox starting concurrently sees the old file or the new one, never half of one
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, path);
}

/** Writes the generated /etc files (idempotent, cheap when they exist); returns their paths. */
export function prepareSandboxEtc(hostname: string): { passwd: string; group: string; hosts: string; profile: string } {
  if (!HOSTNAME_RE.test(hostname)) throw new Error(`invalid sandbox hostname ${JSON.stringify(hostname)}`);
  mkdirSync(`${SANDBOX_ETC_DIR}/hosts`, { recursive: true, mode: 0o755 });
  const paths = {
    passwd: `${SANDBOX_ETC_DIR}/passwd`,
    group: `${SANDBOX_ETC_DIR}/group`,
    hosts: `${SANDBOX_ETC_DIR}/hosts/${hostname}`,
    profile: `${SANDBOX_ETC_DIR}/profile`,
  };
  writeIfChanged(paths.passwd, PASSWD);
  writeIfChanged(paths.profile, PROFILE);
  writeIfChanged(paths.group, GROUP);
  writeIfChanged(
    paths.hosts,
    `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
  );
  return paths;
}
