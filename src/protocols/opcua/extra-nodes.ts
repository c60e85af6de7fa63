import type { Namespace, UAObject } from 'node-opcua';

/**
 * A large synthetic address space for crawler tests and benchmarks: Objects/Synthetic with
 * folders of 1000 Double variables each (Group0001/Var00001 ...). Node ids are stable:
 * ns=<plant>;s=synthetic.g0001.v00001, so a crawl can be checked against the exact count.
 */
export const EXTRA_GROUP_SIZE = 1000;

export function addExtraNodes(opc: typeof import('node-opcua'), ns: Namespace, objects: UAObject, count: number): void {
  const { DataType } = opc;
  const root = ns.addFolder(objects, {
    browseName: 'Synthetic',
    nodeId: 's=synthetic',
    description: `${count} synthetic variables for crawler tests`,
  });
  const groups = Math.ceil(count / EXTRA_GROUP_SIZE);
  let made = 0;
  for (let g = 1; g <= groups; g++) {
    const gid = `synthetic.g${String(g).padStart(4, '0')}`;
    const folder = ns.addFolder(root, { browseName: `Group${String(g).padStart(4, '0')}`, nodeId: `s=${gid}` });
    for (let v = 1; v <= EXTRA_GROUP_SIZE && made < count; v++, made++) {
      ns.addVariable({
        organizedBy: folder,
        browseName: `Var${String(v).padStart(5, '0')}`,
        nodeId: `s=${gid}.v${String(v).padStart(5, '0')}`,
        dataType: 'Double',
        accessLevel: 'CurrentRead',
        userAccessLevel: 'CurrentRead',
        minimumSamplingInterval: 1000,
        value: { dataType: DataType.Double, value: made },
      });
    }
  }
}
