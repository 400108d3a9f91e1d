import { describe, expect, it } from 'vitest';
import { interfaceAddresses, nodeObject, parseLabels } from './agent-node';

describe('agent node registration', () => {
  it.each([
    ['rack=rack0', { rack: 'rack0' }],
    ['rack=rack0, node-role.kubernetes.io/worker=', { rack: 'rack0', 'node-role.kubernetes.io/worker': '' }],
    ['', {}],
  ])('parses --labels %j', (spec, labels) => expect(parseLabels(spec)).toEqual(labels));

  it.each([
    ['rack', '--labels: "rack" is not key=value'],
    ['-bad=x', '--labels: "-bad" is not a valid label key'],
    ['rack=a b', '--labels: value "a b" of rack is not a valid label value'],
  ])('rejects --labels %j', (spec, message) => expect(() => parseLabels(spec)).toThrow(message));

  it('reports non-loopback, non-link-local addresses, IPv4 first', () => {
    const ifaces = {
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
      eth0: [
        { address: 'fd00:10::11', family: 'IPv6', internal: false },
        { address: 'fe80::1', family: 'IPv6', internal: false },
        { address: '10.99.0.11', family: 'IPv4', internal: false },
      ],
    } as unknown as ReturnType<typeof import('node:os').networkInterfaces>;
    expect(interfaceAddresses(ifaces)).toEqual([
      { type: 'InternalIP', address: '10.99.0.11' },
      { type: 'InternalIP', address: 'fd00:10::11' },
    ]);
    expect(nodeObject('node-1', { rack: 'rack0' }, interfaceAddresses(ifaces))).toEqual({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1', rack: 'rack0' } },
      spec: {},
      status: {
        addresses: [
          { type: 'InternalIP', address: '10.99.0.11' },
          { type: 'InternalIP', address: 'fd00:10::11' },
          { type: 'Hostname', address: 'node-1' },
        ],
      },
    });
  });
});
