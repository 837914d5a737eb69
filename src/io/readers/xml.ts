/**
 * Small typed helpers over @xmldom/xmldom for the importers: parse with errors that name the
 * file, direct-child lookups (URDF/SDF/MJCF nest the same tag names at several levels, so
 * descendant queries would pick up the wrong elements), numeric attributes and texts.
 */
import { DOMParser, type Element } from '@xmldom/xmldom';
import { Real2SimError } from '../../model/errors.ts';

export type { Element };

/** Parses XML text. Real-world assets have quirks that are not errors here (pybullet's
 * `<?xml version="0.0"?>`): the declaration is dropped before parsing. */
export function parseXml(text: string, name: string): Element {
  const cleaned = text.replace(/^\uFEFF/, '').replace(/^\s*<\?xml[^?]*\?>/, '');
  let problem: string | null = null;
  const parser = new DOMParser({
    onError: (level, msg) => {
      if (level !== 'warning' && problem === null) problem = msg;
    },
  });
  let doc;
  try {
    doc = parser.parseFromString(cleaned, 'text/xml');
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `${name} is not well-formed XML: ${(cause as Error).message}`, { name }, cause);
  }
  const root = doc.documentElement;
  if (problem !== null || !root) {
    throw new Real2SimError('BAD_FILE', `${name} is not well-formed XML: ${problem ?? 'no root element'}`, { name });
  }
  return root;
}

export function children(el: Element, tag?: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (tag === undefined || (n as Element).tagName === tag)) out.push(n as Element);
  }
  return out;
}

export function child(el: Element, tag: string): Element | undefined {
  for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1 && (n as Element).tagName === tag) return n as Element;
  return undefined;
}

export function attr(el: Element | undefined, name: string): string | undefined {
  if (!el || !el.hasAttribute(name)) return undefined;
  return el.getAttribute(name) ?? undefined;
}

/** Whitespace-separated numbers; throws BAD_FILE naming the place when one is not a number. */
export function numbers(text: string | undefined | null, where: string, count?: number): number[] | undefined {
  if (text === undefined || text === null) return undefined;
  const t = text.trim();
  if (t === '') return count === undefined ? [] : undefined;
  const xs = t.split(/\s+/).map(Number);
  if (xs.some((x) => !Number.isFinite(x)) || (count !== undefined && xs.length !== count)) {
    throw new Real2SimError('BAD_FILE', `${where}: expected ${count ?? 'some'} numbers, got '${t}'`, { where, text: t });
  }
  return xs;
}

export function numAttr(el: Element | undefined, name: string, where: string, count?: number): number[] | undefined {
  return numbers(attr(el, name), `${where} @${name}`, count);
}

export function text(el: Element | undefined): string | undefined {
  return el?.textContent?.trim();
}

export function childNumbers(el: Element | undefined, tag: string, where: string, count?: number): number[] | undefined {
  const c = el ? child(el, tag) : undefined;
  return c ? numbers(c.textContent ?? '', `${where}/<${tag}>`, count) : undefined;
}
