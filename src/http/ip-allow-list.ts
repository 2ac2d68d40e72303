import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../config/env.js';

/**
 * A source-address allow-list from `1.2.3.4, 79.142.16.0/20, ...`: providers publish the
 * networks they call from, and a merchant may accept nothing else.
 */
export function parseAllowList(variable: string, raw: string | undefined): BlockList | undefined {
  if (!raw?.trim()) return undefined;
  const list = new BlockList();
  for (const entry of raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (!family || !/^\d*$/.test(prefix ?? '') || bits > (family === 6 ? 128 : 32)) {
      throw new ConfigError(variable, `has "${entry}", which is not an IP address or network (like 79.142.16.0/20)`);
    }
    list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

export function isAllowed(list: BlockList | undefined, ip: string): boolean {
  if (!list) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const address = mapped ?? ip;
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}
