// Field groups more than one inspector shows the same way: an interface's addresses, MTU and
// up state (a bridge, a macvlan), and the button that deletes what is selected.
import { useCtx } from './context';
import { CheckField, NumberField } from './fields';
import { AddressList } from './lists';

/** The addresses, MTU and up state of one interface-like object. `testid` is the prefix of each
 *  field's test id (`inspector-bridge` → `inspector-bridge-addresses`, `-mtu`, `-up`). */
export function AddressMtuUp(props: {
  path: string;
  testid: string;
  addresses: readonly string[] | undefined;
  mtu: number | undefined;
  up: boolean | undefined;
  addressPlaceholder: string;
  mtuPlaceholder: string;
  onAddresses: (addresses: string[]) => void;
  onMtu: (mtu: number | undefined) => void;
  onUp: (up: false | undefined) => void;
}) {
  const { path, testid } = props;
  return (
    <>
      <AddressList
        label="Addresses"
        path={`${path}.addresses`}
        values={props.addresses}
        placeholder={props.addressPlaceholder}
        testid={`${testid}-addresses`}
        onChange={props.onAddresses}
      />
      <NumberField
        label="MTU"
        path={`${path}.mtu`}
        value={props.mtu}
        placeholder={props.mtuPlaceholder}
        testid={`${testid}-mtu`}
        onCommit={props.onMtu}
      />
      <CheckField
        label="Up"
        path={`${path}.up`}
        checked={props.up !== false}
        testid={`${testid}-up`}
        onChange={(c) => props.onUp(c ? undefined : false)}
      />
    </>
  );
}

/** Deletes the selection (the Delete key does the same). `what` names it: "Delete node". */
export function DeleteSelected({ what }: { what: string }) {
  const { store } = useCtx();
  return (
    <div className="pb-actions">
      <button
        type="button"
        className="danger"
        data-testid="inspector-delete"
        onClick={() => store.getState().deleteSelected()}
      >
        Delete {what}
      </button>
    </div>
  );
}
