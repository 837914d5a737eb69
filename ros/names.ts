/**
 * ROS 2 name resolution for the transports that have no rcl underneath (rosbridge, memory):
 * relative names are expanded against the node namespace, then remap rules apply
 * (`from:=to`, matched against the expanded name, as rcl does). With rclnodejs the node
 * hands rcl the expanded name, so `--ros-args -r` rules still apply on top.
 */
import { Real2SimError } from '../src/model/errors.ts';

const TOKEN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function normaliseNamespace(ns: string): string {
  const t = ns.trim();
  if (t === '' || t === '/') return '';
  const abs = t.startsWith('/') ? t : `/${t}`;
  return abs.replace(/\/+$/, '');
}

/** Expands `name` against `namespace` (`~` = the node's private namespace). */
export function expandName(name: string, namespace: string, nodeName = 'real2sim'): string {
  const ns = normaliseNamespace(namespace);
  let full: string;
  if (name.startsWith('/')) full = name;
  else if (name === '~' || name.startsWith('~/')) full = `${ns}/${nodeName}${name.slice(1)}`;
  else full = `${ns}/${name}`;
  const tokens = full.split('/').slice(1);
  if (tokens.length === 0 || tokens.some((t) => !TOKEN.test(t))) {
    throw new Real2SimError('BAD_INPUT', `'${name}' is not a valid ROS name (tokens of letters, digits and _, not starting with a digit)`, { name });
  }
  return full;
}

/** Parses `from:=to` rules (the `--remap` flag / `-r` of `--ros-args`). */
export function parseRemaps(rules: readonly string[]): [string, string][] {
  return rules.map((r) => {
    const i = r.indexOf(':=');
    if (i <= 0 || i === r.length - 2) throw new Real2SimError('BAD_INPUT', `remap '${r}' must look like from:=to (e.g. image:=/camera/color/image_raw)`, { rule: r });
    return [r.slice(0, i), r.slice(i + 2)];
  });
}

/** Expanded name after remapping; the first matching rule wins (rcl's order). */
export function resolveName(name: string, namespace: string, remaps: readonly [string, string][] = [], nodeName = 'real2sim'): string {
  const expanded = expandName(name, namespace, nodeName);
  for (const [from, to] of remaps) {
    if (expandName(from, namespace, nodeName) === expanded) return expandName(to, namespace, nodeName);
  }
  return expanded;
}

/** A TF frame id from free text (object ids, labels): no leading slash, safe characters. */
export function frameIdFrom(text: string): string {
  const s = text.replace(/[^A-Za-z0-9_/]/g, '_').replace(/^\/+/, '');
  return s === '' ? '_' : s;
}
