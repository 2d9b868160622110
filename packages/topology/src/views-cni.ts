// A node's CNI attachment as the lab state shows it (views.ts places it on NodeView): what was
// passed to the plugin and what it returned, and the last CHECK.
import { Type, type Static } from '@sinclair/typebox';

export const CniViewSchema = Type.Object(
  {
    interface: Type.String({ description: 'CNI_IFNAME.' }),
    host: Type.String({ description: 'The host node the plugin ran in.' }),
    plugin: Type.Union([Type.Literal('bridge'), Type.Literal('ptp'), Type.Literal('macvlan')]),
    network: Type.String(),
    state: Type.Union([Type.Literal('attached'), Type.Literal('pending')], {
      description: 'attached: ADD succeeded (result holds its answer); pending: not attached yet (apply the lab).',
    }),
    config: Type.Object(
      { cniVersion: Type.String(), name: Type.String(), type: Type.String() },
      {
        additionalProperties: true,
        description:
          "The network config passed on stdin (as passed on ADD; pending: as the next ADD will pass it): the plugin's fields and ipam.",
      },
    ),
    env: Type.Record(Type.String(), Type.String(), { description: 'The CNI_* environment of the call.' }),
    result: Type.Optional(
      Type.Object(
        {
          ips: Type.Optional(
            Type.Array(
              Type.Object(
                { address: Type.String(), gateway: Type.Optional(Type.String()) },
                { additionalProperties: true },
              ),
            ),
          ),
        },
        { additionalProperties: true, description: "The plugin's result JSON, as it returned it." },
      ),
    ),
    check: Type.Optional(
      Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) }, { description: 'The last CHECK.' }),
    ),
  },
  { title: 'CniView' },
);
export type CniView = Static<typeof CniViewSchema>;
