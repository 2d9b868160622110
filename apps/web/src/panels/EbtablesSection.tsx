// A bridge's ebtables, read from the kernel (its host's filter table, the part that concerns this
// bridge): the anti-spoofing chains a lab's `bridgePort.antiSpoof` makes and any rule added by hand.
import type { BridgeView } from '@patchbay/topology';
import { ebtablesChains } from './tables-format';

export function EbtablesSection({ bridge }: { bridge: BridgeView }) {
  const chains = ebtablesChains(bridge.ebtables);
  const rules = chains.reduce((n, c) => n + c.rules.length, 0);
  return (
    <section className="pb-table-section" data-testid="ebtables-section">
      <h3>
        ebtables (filter) <span className="badge">{rules}</span>
      </h3>
      {chains.length === 0 ? (
        <p className="pb-muted">
          no ebtables rules in {bridge.host === '_host' ? "the lab's implicit host" : bridge.host}
        </p>
      ) : (
        chains.map((c) => (
          <div key={c.chain} data-testid="ebtables-chain" data-chain={c.chain}>
            <p className="pb-table-sub mono">
              {c.chain} · policy {c.policy}
            </p>
            <ul className="pb-rules mono" data-testid="ebtables-rules">
              {c.rules.map((r, i) => (
                <li key={`${i}|${r}`}>{r}</li>
              ))}
              {c.rules.length === 0 && <li className="pb-muted">no rules</li>}
            </ul>
          </div>
        ))
      )}
    </section>
  );
}
