// Test support: a throw-away CA and certificates for mTLS between coordinators and agents, made
// with the `openssl` command (infra/setup.sh installs it) in a temporary folder, as docs/deploy.md
// tells an operator to. Each certificate names its role in a subjectAltName URI
// (urn:patchbay:coordinator, urn:patchbay:agent:NAME), plus 127.0.0.1 for the curious.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** openssl req's options for a new, unencrypted P-256 key. */
const NEW_P256_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export interface CertFiles {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  /** A new CA named `name`: its certificate and key. */
  ca(name: string): CertFiles;
  /** A certificate signed by `ca` with the subjectAltName URIs given (e.g. urn:patchbay:agent:one). */
  issue(ca: CertFiles, name: string, uris: string[], opts?: { days?: number }): CertFiles;
  /** The TLS environment of a process: PATCHBAY_AGENT_TLS_CA, _CERT and _KEY. */
  env(ca: CertFiles | string, own: CertFiles): Record<string, string>;
  /** A file of several CA certificates (a bundle). */
  bundle(name: string, cas: CertFiles[]): string;
  cleanup(): void;
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
}

export function pki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'patchbay-pki-test-'));
  const path = (f: string) => join(dir, f);
  return {
    dir,
    ca(name) {
      const files = { cert: path(`${name}.crt`), key: path(`${name}.key`) };
      openssl([
        'req',
        '-x509',
        ...NEW_P256_KEY,
        '-keyout',
        files.key,
        '-out',
        files.cert,
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ]);
      return files;
    },
    issue(ca, name, uris, opts = {}) {
      const files = { cert: path(`${name}.crt`), key: path(`${name}.key`) };
      const csr = path(`${name}.csr`);
      const ext = path(`${name}.ext`);
      openssl(['req', '-new', ...NEW_P256_KEY, '-keyout', files.key, '-out', csr, '-subj', `/CN=${name}`]);
      writeFileSync(
        ext,
        [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature',
          'extendedKeyUsage=serverAuth,clientAuth',
          `subjectAltName=${[...uris.map((u) => `URI:${u}`), 'IP:127.0.0.1'].join(',')}`,
        ].join('\n'),
      );
      openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        ca.cert,
        '-CAkey',
        ca.key,
        '-CAcreateserial',
        '-out',
        files.cert,
        '-days',
        String(opts.days ?? 1),
        '-extfile',
        ext,
      ]);
      return files;
    },
    env(ca, own) {
      return {
        PATCHBAY_AGENT_TLS_CA: typeof ca === 'string' ? ca : ca.cert,
        PATCHBAY_AGENT_TLS_CERT: own.cert,
        PATCHBAY_AGENT_TLS_KEY: own.key,
      };
    },
    bundle(name, cas) {
      const file = path(`${name}.pem`);
      writeFileSync(file, cas.map((c) => readFileSync(c.cert, 'utf8')).join(''));
      return file;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
