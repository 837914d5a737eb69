import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { deflateSync, inflateSync } from 'node:zlib';
import { decodeColorImage, decodeDepthPng, decodeLabelPng, detectImageFormat, encodeDepthPng, encodeLabelPng, encodePng, paeth, readPngHeader } from '../../src/io/image.ts';
import { expectError } from '../helpers/errors.ts';
import type { ColorImage, DepthImage } from '../../src/model/image.ts';
import { createRng } from '../../src/geometry/random.ts';

/** Raw (filtered) IDAT payload of a PNG, inflated: for checking bytes on disk. */
function inflatedIdat(png: Uint8Array): Uint8Array {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const parts: Uint8Array[] = [];
  for (let p = 8; p < png.length;) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(...png.subarray(p + 4, p + 8));
    if (type === 'IDAT') parts.push(png.subarray(p + 8, p + 8 + len));
    p += 12 + len;
  }
  return new Uint8Array(inflateSync(Buffer.concat(parts)));
}

function randomColor(seed: number, w: number, h: number, encoding: ColorImage['encoding']): ColorImage {
  const rng = createRng(seed);
  const ch = encoding === 'mono8' ? 1 : encoding === 'rgb8' || encoding === 'bgr8' ? 3 : 4;
  const data = new Uint8Array(w * h * ch);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return { width: w, height: h, encoding, data };
}

describe('Paeth predictor', () => {
  it('chooses as the PNG specification writes it (9.4), for every left, up and up-left byte', () => {
    // the specification's own formulation, with branches; the encoder and decoder use a
    // branch-free one, which must agree on all 2²⁴ triples
    const spec = (a: number, b: number, c: number) => {
      const p = a + b - c;
      const pa = Math.abs(p - a),
        pb = Math.abs(p - b),
        pc = Math.abs(p - c);
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    };
    let wrong = 0;
    for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) for (let c = 0; c < 256; c++) if (paeth(a, b, c) !== spec(a, b, c)) wrong++;
    expect(wrong).toBe(0);
  });
});

describe('colour PNG', () => {
  for (const enc of ['rgb8', 'rgba8', 'mono8'] as const) {
    it(`round-trips ${enc} exactly (seed 11)`, () => {
      const img = randomColor(11, 17, 9, enc);
      const back = decodeColorImage(encodePng(img));
      expect(back.encoding).toBe(enc);
      expect(back.width).toBe(17);
      expect(back.height).toBe(9);
      expect(Buffer.from(back.data).equals(Buffer.from(img.data))).toBe(true);
    });
  }

  it('swaps bgr8 to rgb on encode (seed 12)', () => {
    const img = randomColor(12, 5, 4, 'bgr8');
    const back = decodeColorImage(encodePng(img));
    expect(back.encoding).toBe('rgb8');
    for (let i = 0; i < 20; i++) {
      expect(back.data[i * 3]).toBe(img.data[i * 3 + 2]);
      expect(back.data[i * 3 + 2]).toBe(img.data[i * 3]);
    }
  });

  it("writes Paeth-filtered rows that pngjs and our decoder read back exactly; decodes pngjs's rows of each of the five filters", () => {
    // Rows built so that each filter wins somewhere: flat (None ties), ramps along x (Sub),
    // rows repeating the one above (Up), smooth 2-D gradients (Average, Paeth), noise, and
    // images one pixel wide and one row high (no left / no up neighbour).
    const rng = createRng(14);
    const shapes: [number, number, number][] = [
      [37, 29, 1],
      [37, 29, 3],
      [37, 29, 4],
      [1, 9, 3],
      [9, 1, 4],
    ];
    const filtersSeen = new Set<number>();
    for (const [w, h, ch] of shapes) {
      const data = new Uint8Array(w * h * ch);
      for (let y = 0; y < h; y++) {
        const kind = y % 6;
        for (let x = 0; x < w; x++)
          for (let c = 0; c < ch; c++) {
            const i = (y * w + x) * ch + c;
            data[i] =
              kind === 0
                ? 40
                : kind === 1
                  ? (x * 7 + c * 30) & 255
                  : kind === 2
                    ? y > 0
                      ? data[i - w * ch]!
                      : 9
                    : kind === 3
                      ? (x * 3 + y * 5 + c) & 255
                      : kind === 4
                        ? (x * y + c * 11) & 255
                        : rng.int(256);
          }
      }
      const encoding = ch === 1 ? 'mono8' : ch === 3 ? 'rgb8' : 'rgba8';
      const ours = encodePng({ width: w, height: h, encoding, data });
      const rgba = Buffer.alloc(w * h * 4);
      for (let i = 0; i < w * h; i++) {
        for (let c = 0; c < 3; c++) rgba[i * 4 + c] = data[i * ch + Math.min(c, ch - 1)]!;
        rgba[i * 4 + 3] = ch === 4 ? data[i * 4 + 3]! : 255;
      }
      const png = new PNG({ width: w, height: h });
      png.data = rgba;
      const colorType = ch === 1 ? 0 : ch === 3 ? 2 : 6;
      // ours: every row Paeth; pngjs reads the same pixels, and so do we (first row and first pixel included)
      const raw = inflatedIdat(ours);
      for (let y = 0; y < h; y++) expect(raw[y * (w * ch + 1)], `row ${y} of ${w}×${h}×${ch}`).toBe(4);
      expect(Buffer.from(PNG.sync.read(Buffer.from(ours)).data).equals(rgba), `pngjs reads ${w}×${h}×${ch}`).toBe(true);
      const back = decodeColorImage(ours);
      expect(back.encoding).toBe(encoding);
      expect(Buffer.from(back.data).equals(Buffer.from(data)), `decoded ${w}×${h}×${ch}`).toBe(true);
      // pngjs's adaptive rows (a filter per row): our decoder undoes each of them
      const reference = PNG.sync.write(png, { deflateLevel: 9, filterType: -1, colorType, inputColorType: 6 });
      expect(Buffer.from(decodeColorImage(reference).data).equals(Buffer.from(data)), `pngjs-encoded ${w}×${h}×${ch}`).toBe(true);
      const refRaw = inflatedIdat(reference);
      for (let y = 0; y < h; y++) filtersSeen.add(refRaw[y * (w * ch + 1)]!);
    }
    expect([...filtersSeen].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('flat pictures (renderings, labels): rows unfiltered, the same pixels as pngjs reads them', () => {
    // flat colour blocks with noise in one of them, as a rendering has
    const rng = createRng(15);
    const w = 41,
      h = 23;
    const data = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) {
      const block = (i % w) * 3 < w ? 0 : Math.floor(i / w) < h / 2 ? 1 : 2;
      for (let c = 0; c < 3; c++) data[i * 3 + c] = block === 2 ? rng.int(256) : block * 90 + c * 40;
    }
    const img: ColorImage = { width: w, height: h, encoding: 'rgb8', data };
    const flat = encodePng(img, { flat: true });
    const rows = inflatedIdat(flat);
    for (let y = 0; y < h; y++) expect(rows[y * (w * 3 + 1)], `row ${y}'s filter`).toBe(0);
    const peer = PNG.sync.read(Buffer.from(flat));
    const rgb = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = peer.data[i * 4 + c]!;
    expect(Buffer.from(rgb).equals(Buffer.from(data))).toBe(true);
    expect(Buffer.from(decodeColorImage(flat).data).equals(Buffer.from(data))).toBe(true);
    // labels are written flat: 16-bit big-endian samples, unfiltered
    const ids = new Uint16Array(w * h).map((_, i) => (i % 7 === 0 ? 0 : 1 + Math.floor(i / (3 * w)) * 257));
    const png = encodeLabelPng({ width: w, height: h, data: ids, labels: new Map() });
    const raw = inflatedIdat(png);
    for (let y = 0; y < h; y++) {
      expect(raw[y * (2 * w + 1)]).toBe(0);
      for (let x = 0; x < w; x++) expect((raw[y * (2 * w + 1) + 1 + 2 * x]! << 8) | raw[y * (2 * w + 1) + 2 + 2 * x]!).toBe(ids[y * w + x]);
    }
    expect(Array.from(decodeLabelPng(png).data)).toEqual(Array.from(ids));
  });

  it('encodes deterministically (same bytes twice)', () => {
    const img = randomColor(13, 32, 24, 'rgb8');
    expect(Buffer.from(encodePng(img)).equals(Buffer.from(encodePng(img)))).toBe(true);
  });

  it('decodes a palette PNG written by another encoder into rgb8', () => {
    // pngjs cannot write palettes: build one by hand (IHDR colour type 3 + PLTE + IDAT).
    const bytes = handPalettePng(
      3,
      2,
      [
        [255, 0, 0],
        [0, 0, 255],
        [10, 20, 30],
      ],
      [0, 1, 2, 2, 1, 0],
    );
    const img = decodeColorImage(bytes);
    expect(img.encoding).toBe('rgb8');
    expect(Array.from(img.data.subarray(0, 9))).toEqual([255, 0, 0, 0, 0, 255, 10, 20, 30]);
    const lab = decodeLabelPng(bytes);
    expect(Array.from(lab.data)).toEqual([0, 1, 2, 2, 1, 0]);
  });

  it('decodes JPEG to rgb8 close to the source', () => {
    const w = 16,
      h = 16;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([200, 100, 50, 255], i * 4);
    const enc = jpeg.encode({ width: w, height: h, data: rgba }, 95);
    expect(detectImageFormat(enc.data)).toBe('jpeg');
    const img = decodeColorImage(new Uint8Array(enc.data), 'flat.jpg');
    expect(img.encoding).toBe('rgb8');
    expect(Math.abs(img.data[0]! - 200)).toBeLessThan(4);
    expect(Math.abs(img.data[1]! - 100)).toBeLessThan(4);
    expect(Math.abs(img.data[2]! - 50)).toBeLessThan(4);
  });
});

describe('16-bit depth and label PNG', () => {
  it('writes samples big-endian on disk and reads them back (byte order)', () => {
    const depth: DepthImage = { width: 3, height: 1, data: new Float32Array([0.258, 1.0, 65.535]) };
    const png = encodeDepthPng(depth);
    const h = readPngHeader(png);
    expect(h).toEqual({ width: 3, height: 1, bitDepth: 16, colorType: 0 });
    // one filter byte then 3 samples big-endian: 258 = 0x0102, 1000 = 0x03e8, 65535 = 0xffff
    const raw = inflatedIdat(png);
    expect(raw.length).toBe(7);
    expect(Array.from(unfilterFirstRow(raw, 2))).toEqual([0x01, 0x02, 0x03, 0xe8, 0xff, 0xff]);
    const viaPngjs = PNG.sync.read(Buffer.from(png), { skipRescale: true });
    expect(Array.from((viaPngjs.data as unknown as Uint16Array).filter((_, i) => i % 4 === 0))).toEqual([258, 1000, 65535]);
    const back = decodeDepthPng(png);
    expect(back.data[0]).toBeCloseTo(0.258, 6);
    expect(back.data[1]).toBeCloseTo(1.0, 6);
    expect(back.data[2]).toBeCloseTo(65.535, 4);
  });

  it('round-trips millimetre depth with zeros for no data (seed 21)', () => {
    const rng = createRng(21);
    const w = 20,
      h = 10;
    const data = new Float32Array(w * h);
    for (let i = 0; i < data.length; i++) data[i] = rng.next() < 0.1 ? 0 : Math.round(rng.range(0.3, 5) * 1000) / 1000;
    data[3] = NaN;
    const back = decodeDepthPng(encodeDepthPng({ width: w, height: h, data }));
    for (let i = 0; i < data.length; i++) {
      const want = Number.isNaN(data[i]!) ? 0 : data[i]!;
      expect(Math.abs(back.data[i]! - want)).toBeLessThan(1e-6);
    }
  });

  it('applies the depth scale (0.1 mm units and TUM 1/5000 m)', () => {
    const units = new Uint16Array([5000, 12345]);
    const png = encodeLabelPng({ width: 2, height: 1, data: units, labels: new Map() });
    expect(decodeDepthPng(png, 0.0001).data[1]).toBeCloseTo(1.2345, 6);
    expect(decodeDepthPng(png, 1 / 5000).data[0]).toBeCloseTo(1.0, 6);
    expectError(() => decodeDepthPng(png, 0), 'BAD_INPUT', /depth scale/i);
  });

  it('round-trips 16-bit labels and reads 8-bit grey labels', () => {
    const data = new Uint16Array([0, 1, 2, 300, 65535, 7]);
    const back = decodeLabelPng(encodeLabelPng({ width: 3, height: 2, data, labels: new Map() }));
    expect(Array.from(back.data)).toEqual(Array.from(data));
    const grey8 = encodePng({ width: 3, height: 1, encoding: 'mono8', data: new Uint8Array([0, 4, 9]) });
    expect(Array.from(decodeLabelPng(grey8).data)).toEqual([0, 4, 9]);
  });

  it('turns a colour-coded label image into ids by first appearance, black = 0', () => {
    const rgb = new Uint8Array([0, 0, 0, 255, 0, 0, 0, 255, 0, 255, 0, 0]);
    const lab = decodeLabelPng(encodePng({ width: 4, height: 1, encoding: 'rgb8', data: rgb }));
    expect(Array.from(lab.data)).toEqual([0, 1, 2, 1]);
  });
});

describe('bad image input', () => {
  it('refuses a 16-bit PNG given as colour, naming it a depth/label image', () => {
    const png = encodeDepthPng({ width: 4, height: 4, data: new Float32Array(16).fill(1) });
    expectError(() => decodeColorImage(png, 'depth.png'), 'BAD_IMAGE', /'depth\.png' is a 16-bit .*not a colour image/);
  });

  it('reduces a 16-bit RGB photo to rgb8 (it is colour, not depth)', () => {
    const w = 2,
      h = 1;
    const samples = new Uint16Array([65535, 0, 32896, 257, 514, 771]);
    const png = PNG.sync.write({ width: w, height: h, data: Buffer.from(new Uint16Array(samples).buffer) } as unknown as PNG, { colorType: 2, inputColorType: 2, bitDepth: 16, inputHasAlpha: false });
    expect(readPngHeader(png).bitDepth).toBe(16);
    const img = decodeColorImage(png, 'photo16.png');
    expect(img.encoding).toBe('rgb8');
    expect(Array.from(img.data)).toEqual([255, 0, 128, 1, 2, 3]);
  });

  it('refuses an 8-bit PNG given as depth', () => {
    const png = encodePng(randomColor(31, 4, 4, 'rgb8'));
    expectError(() => decodeDepthPng(png, 0.001, 'rgb.png'), 'BAD_IMAGE', /'rgb\.png' is a 8-bit RGB PNG; depth must be a 16-bit greyscale PNG.*8-bit image cannot hold metric depth/);
  });

  it('refuses a truncated PNG (colour and depth), saying truncated', () => {
    const colour = encodePng(randomColor(32, 64, 64, 'rgb8'));
    for (const cut of [20, 40, Math.floor(colour.length / 2), colour.length - 10]) {
      expectError(() => decodeColorImage(colour.subarray(0, cut), 'cut.png'), 'BAD_IMAGE', /'cut\.png' is a truncated PNG/);
    }
    const depth = encodeDepthPng({ width: 32, height: 32, data: new Float32Array(1024).fill(1.5) });
    expectError(() => decodeDepthPng(depth.subarray(0, depth.length - 20), 0.001, 'd.png'), 'BAD_IMAGE', /truncated PNG/);
  });

  it('refuses a truncated JPEG', () => {
    const rgba = new Uint8Array(16 * 16 * 4).fill(128);
    const enc = new Uint8Array(jpeg.encode({ width: 16, height: 16, data: rgba }, 90).data);
    expectError(() => decodeColorImage(enc.subarray(0, enc.length - 40), 'cut.jpg'), 'BAD_IMAGE', /'cut\.jpg' is a truncated JPEG/);
  });

  it('refuses unknown formats and empty bytes', () => {
    expectError(() => decodeColorImage(new TextEncoder().encode('GIF89a....'), 'x.gif'), 'BAD_IMAGE', /neither PNG nor JPEG/);
    expectError(() => decodeColorImage(new Uint8Array(0), 'empty.png'), 'BAD_IMAGE', /neither PNG nor JPEG.*\(empty\)/);
    expectError(() => decodeDepthPng(new Uint8Array([1, 2, 3]), 0.001, 'x'), 'BAD_IMAGE', /not a PNG/);
  });

  it('refuses a PNG whose header claims more than the pixel limit before allocating', () => {
    const png = Buffer.from(encodePng(randomColor(33, 2, 2, 'rgb8')));
    png.writeUInt32BE(100_000, 16);
    png.writeUInt32BE(100_000, 20);
    expectError(() => decodeColorImage(png, 'huge.png'), 'TOO_LARGE', /limit/);
  });

  it('refuses image data whose length does not match its size on encode', () => {
    expectError(() => encodePng({ width: 4, height: 4, encoding: 'rgb8', data: new Uint8Array(10) }), 'BAD_IMAGE', /needs 48 samples/);
  });
});

/** Undoes the PNG filter of the first scanline (prior row = zeros), `bpp` bytes per pixel. */
function unfilterFirstRow(raw: Uint8Array, bpp: number): Uint8Array {
  const type = raw[0]!;
  const f = raw.subarray(1);
  const out = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const left = i >= bpp ? out[i - bpp]! : 0;
    // with an all-zero prior row: Up adds 0, Average adds left/2, Paeth picks left
    const pred = type === 0 || type === 2 ? 0 : type === 3 ? left >> 1 : left;
    out[i] = (f[i]! + pred) & 0xff;
  }
  return out;
}

/** A minimal 8-bit palette PNG, unfiltered, written by hand. */
function handPalettePng(w: number, h: number, palette: number[][], indices: number[]): Uint8Array {
  const crcTable = new Uint32Array(256).map((_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 3;
  const raw = Buffer.alloc(h * (w + 1));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = indices[y * w + x]!;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('PLTE', Buffer.from(palette.flat())),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
