/**
 * Image bytes ⇄ model images.
 *
 * PNG decoding through pngjs (pure JS, synchronous), encoding here (faster than pngjs: see
 * `writePng`; deterministic for the same input and zlib), JPEG through jpeg-js. Depth and label PNGs are 16-bit greyscale; PNG stores samples
 * big-endian (network order) and pngjs hands 16-bit samples to us as host-order `Uint16Array`
 * values, so no byte order leaks into the model.
 *
 * The header is read first so that oversized images are refused before any pixel buffer is
 * allocated, and so that a 16-bit depth PNG given as colour (or an 8-bit picture given as
 * depth) is named as such instead of being silently rescaled.
 */
import { PNG } from 'pngjs';
import { constants as zlibConstants, crc32, deflateSync, inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { decoderReason, Real2SimError } from '../model/errors.ts';
import { MAX_FRAME_PIXELS } from '../model/frame.ts';
import type { ColorImage, DepthImage, LabelImage } from '../model/image.ts';

export type ImageFormat = 'png' | 'jpeg';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** PNG colour types (IHDR byte 9). */
const CT_GREY = 0,
  CT_RGB = 2,
  CT_PALETTE = 3,
  CT_GREY_ALPHA = 4,
  CT_RGBA = 6;
const COLOR_TYPE_NAMES: Record<number, string> = {
  [CT_GREY]: 'greyscale',
  [CT_RGB]: 'RGB',
  [CT_PALETTE]: 'palette',
  [CT_GREY_ALPHA]: 'greyscale+alpha',
  [CT_RGBA]: 'RGBA',
};

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
}

/** Sniffs the container from its magic bytes; `null` when neither PNG nor JPEG. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

function label(name: string | undefined): string {
  return name ? `'${name}'` : 'image';
}

function describeStart(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ') || '(empty)';
}

/** Reads the IHDR chunk (always first in a valid PNG) without decoding pixels. */
export function readPngHeader(bytes: Uint8Array, name?: string): PngHeader {
  if (detectImageFormat(bytes) !== 'png') {
    throw new Real2SimError('BAD_IMAGE', `${label(name)} is not a PNG (starts with ${describeStart(bytes)}).`, { name });
  }
  if (bytes.length < 33) {
    throw new Real2SimError('BAD_IMAGE', `${label(name)} is a truncated PNG: only ${bytes.length} bytes, not even a full header. Re-export or re-copy the file.`, { name, bytes: bytes.length });
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunkType = String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!);
  if (chunkType !== 'IHDR') {
    throw new Real2SimError('BAD_IMAGE', `${label(name)} is a corrupt PNG: the first chunk is '${chunkType}', not IHDR.`, { name });
  }
  return { width: dv.getUint32(16), height: dv.getUint32(20), bitDepth: bytes[24]!, colorType: bytes[25]! };
}

function checkPixelLimit(width: number, height: number, name?: string): void {
  if (width === 0 || height === 0) {
    throw new Real2SimError('BAD_IMAGE', `${label(name)} has zero size (${width}×${height}).`, { name, width, height });
  }
  if (width * height > MAX_FRAME_PIXELS) {
    throw new Real2SimError(
      'TOO_LARGE',
      `${label(name)} is ${width}×${height} (${((width * height) / 1e6).toFixed(1)} MP); the limit is ${MAX_FRAME_PIXELS / 1e6} MP. Downscale it (and its intrinsics) first.`,
      { name, width, height },
    );
  }
}

/**
 * What the fast decoder gives: the samples as the file stores them, unfiltered, one row after
 * the other (8-bit: a byte per sample, `channels` per pixel; 16-bit grey: big-endian pairs).
 */
interface PackedPng {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  bitDepth: 8 | 16;
  px: Uint8Array;
}

interface DecodedPng {
  width: number;
  height: number;
  /** RGBA expanded by pngjs: 4 samples per pixel; Uint16Array when 16-bit and not rescaled. */
  data: Uint8Array | Uint16Array;
  palette?: number[][];
  alpha: boolean;
  transColor?: number[];
}

/**
 * The PNGs a robot's camera and this tool write (8-bit grey, RGB, RGBA; 16-bit grey for depth
 * and labels; not interlaced, no palette or transparency chunk) decoded here in typed arrays:
 * the same samples pngjs gives, packed as stored instead of expanded to RGBA (`expandRgba` gives
 * pngjs's layout), several times faster. Null for anything
 * else or anything doubtful (a bad CRC, a critical chunk it does not know, a short stream):
 * pngjs then decodes it, or names its fault, as before.
 */
function decodePngFast(bytes: Uint8Array, skipRescale: boolean): PackedPng | null {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0,
    height = 0,
    bitDepth = 0,
    colorType = -1;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (pos + 12 <= bytes.length) {
    const len = dv.getUint32(pos);
    if (pos + 12 + len > bytes.length) return null;
    if (crc32(bytes.subarray(pos + 4, pos + 8 + len)) !== dv.getUint32(pos + 8 + len)) return null;
    const type = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!, bytes[pos + 6]!, bytes[pos + 7]!);
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    pos += 12 + len;
    if (type === 'IHDR') {
      if (len !== 13 || colorType !== -1) return null;
      width = dv.getUint32(pos - 12 - len + 8);
      height = dv.getUint32(pos - 12 - len + 12);
      [bitDepth, colorType] = [data[8]!, data[9]!];
      // compression, filter method, interlace: all 0
      if (data[10] !== 0 || data[11] !== 0 || data[12] !== 0) return null;
    } else if (type === 'IDAT') {
      if (colorType === -1) return null;
      idat.push(data);
    } else if (type === 'IEND') {
      ended = true;
      break;
    } else if (type === 'tRNS' || type === 'PLTE' || (bytes[pos - 12 - len + 4]! & 0x20) === 0) return null;
  }
  if (!ended || idat.length === 0) return null;
  const ch = colorType === CT_GREY ? 1 : colorType === CT_RGB ? 3 : colorType === CT_RGBA ? 4 : 0;
  if (ch === 0 || !(bitDepth === 8 || (bitDepth === 16 && ch === 1 && skipRescale))) return null;
  const bpp = (ch * bitDepth) / 8,
    rowBytes = width * bpp;
  const raw = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat));
  if (raw.length !== (rowBytes + 1) * height) return null;
  // undo the row filters into `px` (rows without their filter byte); the row above the first is
  // zeros, as the PNG spec reads it, and the first pixel's left neighbours are zeros: the loops
  // split there instead of testing every sample
  const px = new Uint8Array(rowBytes * height);
  const zeros = new Uint8Array(rowBytes);
  const lead = Math.min(bpp, rowBytes);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (rowBytes + 1)]!,
      src = y * (rowBytes + 1) + 1,
      o = y * rowBytes;
    if (f > 4) return null;
    const above = y > 0 ? px.subarray(o - rowBytes, o) : zeros;
    // one loop per filter type (the type is per row)
    if (f === 0) px.set(raw.subarray(src, src + rowBytes), o);
    else if (f === 1) {
      for (let x = 0; x < lead; x++) px[o + x] = raw[src + x]!;
      for (let x = lead; x < rowBytes; x++) px[o + x] = (raw[src + x]! + px[o + x - bpp]!) & 0xff;
    } else if (f === 2) {
      for (let x = 0; x < rowBytes; x++) px[o + x] = (raw[src + x]! + above[x]!) & 0xff;
    } else if (f === 3) {
      for (let x = 0; x < lead; x++) px[o + x] = (raw[src + x]! + (above[x]! >> 1)) & 0xff;
      for (let x = lead; x < rowBytes; x++) px[o + x] = (raw[src + x]! + ((px[o + x - bpp]! + above[x]!) >> 1)) & 0xff;
    } else {
      // Paeth with left = up-left = 0 predicts `up`
      for (let x = 0; x < lead; x++) px[o + x] = (raw[src + x]! + above[x]!) & 0xff;
      for (let x = lead; x < rowBytes; x++) px[o + x] = (raw[src + x]! + paeth(px[o + x - bpp]!, above[x]!, above[x - bpp]!)) & 0xff;
    }
  }
  return { width, height, channels: ch, bitDepth, px };
}

/** Packed samples as pngjs gives them: RGBA, alpha opaque; 16-bit grey as Uint16 values. */
function expandRgba(p: PackedPng): DecodedPng {
  const { width, height, channels: ch, px } = p;
  const n = width * height;
  if (p.bitDepth === 16) {
    const out = new Uint16Array(n * 4);
    for (let i = 0; i < n; i++) {
      const v = (px[2 * i]! << 8) | px[2 * i + 1]!;
      out[i * 4] = v;
      out[i * 4 + 1] = v;
      out[i * 4 + 2] = v;
      out[i * 4 + 3] = 0xffff;
    }
    return { width, height, data: out, alpha: false };
  }
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const s = i * ch;
    out[i * 4] = px[s]!;
    out[i * 4 + 1] = px[ch === 1 ? s : s + 1]!;
    out[i * 4 + 2] = px[ch === 1 ? s : s + 2]!;
    out[i * 4 + 3] = ch === 4 ? px[s + 3]! : 255;
  }
  return { width, height, data: out, alpha: ch === 4 };
}

/** A PNG's samples: packed by the fast decoder when it can (`PackedPng`), else RGBA from pngjs. */
function decodePngRaw(bytes: Uint8Array, skipRescale: boolean, name?: string): PackedPng | DecodedPng {
  const header = readPngHeader(bytes, name);
  checkPixelLimit(header.width, header.height, name);
  try {
    const fast = decodePngFast(bytes, skipRescale);
    if (fast) return fast;
  } catch {
    // pngjs, below, decodes it or says what is wrong with it
  }
  try {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // pngjs's sync result carries parser metadata its types do not declare.
    const r = PNG.sync.read(buf, { skipRescale }) as unknown as {
      width: number;
      height: number;
      data: Uint8Array | Uint16Array;
      palette?: number[][] | boolean;
      alpha: boolean;
      transColor?: number[];
    };
    if (r.data.length !== r.width * r.height * 4) throw new Error(`pixel data holds ${r.data.length} samples, expected ${r.width * r.height * 4}`);
    return {
      width: r.width,
      height: r.height,
      data: r.data,
      ...(Array.isArray(r.palette) ? { palette: r.palette } : {}),
      alpha: r.alpha,
      ...(r.transColor ? { transColor: r.transColor } : {}),
    };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const truncated = /waitng on finished stream|waiting on finished stream|unexpected end|invalid inflate|incorrect header|unexpected end of file|buffer/i.test(why);
    throw new Real2SimError(
      'BAD_IMAGE',
      `${label(name)} is a ${truncated ? 'truncated' : 'corrupt'} PNG (${header.width}×${header.height}, ${header.bitDepth}-bit ${COLOR_TYPE_NAMES[header.colorType] ?? `colour type ${header.colorType}`}): ${why}. Re-export or re-copy the file.`,
      { name, ...header },
      e,
    );
  }
}

/**
 * Colour PNG (grey, grey+alpha, RGB, RGBA, palette; 16-bit RGB(A) is reduced to 8 bits) or
 * JPEG → `mono8`, `rgb8` or `rgba8`. A 16-bit greyscale PNG is refused: on robots it is a depth
 * or label image.
 */
export function decodeColorImage(bytes: Uint8Array, name?: string): ColorImage {
  const format = detectImageFormat(bytes);
  if (format === 'jpeg') return decodeJpeg(bytes, name);
  if (format !== 'png') {
    throw new Real2SimError('BAD_IMAGE', `${label(name)} is neither PNG nor JPEG (starts with ${describeStart(bytes)}). Convert it to PNG or JPEG.`, { name });
  }
  const h = readPngHeader(bytes, name);
  // 16-bit greyscale is how depth and label images are stored; 16-bit RGB(A) photos are
  // genuine colour and are reduced to 8 bits below (pngjs rescales them).
  if (h.bitDepth === 16 && (h.colorType === CT_GREY || h.colorType === CT_GREY_ALPHA)) {
    throw new Real2SimError(
      'BAD_IMAGE',
      `${label(name)} is a 16-bit ${COLOR_TYPE_NAMES[h.colorType]} PNG, which is a depth or label image, not a colour image: pass it as depth (e.g. --depth) and give an 8-bit colour image as colour.`,
      { name, ...h },
    );
  }
  const raw = decodePngRaw(bytes, false, name);
  // the fast decoder's samples are the image as it is (grey, RGB, RGBA; 8-bit, no transparency chunk)
  if ('px' in raw) return { width: raw.width, height: raw.height, encoding: raw.channels === 1 ? 'mono8' : raw.channels === 3 ? 'rgb8' : 'rgba8', data: raw.px };
  const png = raw;
  const n = png.width * png.height;
  const src = png.data;
  let channels: 1 | 3 | 4;
  if (h.colorType === CT_GREY && !png.transColor) channels = 1;
  else if (h.colorType === CT_RGBA || h.colorType === CT_GREY_ALPHA || png.alpha || png.transColor) channels = 4;
  else channels = 3;
  const out = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const s = i * 4,
      d = i * channels;
    if (channels === 1) out[d] = src[s]!;
    else {
      out[d] = src[s]!;
      out[d + 1] = src[s + 1]!;
      out[d + 2] = src[s + 2]!;
      if (channels === 4) out[d + 3] = src[s + 3]!;
    }
  }
  return { width: png.width, height: png.height, encoding: channels === 1 ? 'mono8' : channels === 3 ? 'rgb8' : 'rgba8', data: out };
}

function decodeJpeg(bytes: Uint8Array, name?: string): ColorImage {
  // jpeg-js decodes a truncated stream "tolerantly" into grey pixels; a JPEG must end with the
  // EOI marker (FF D9), possibly followed by a little padding, so look for it near the end.
  let eoi = false;
  for (let i = bytes.length - 2; i >= Math.max(0, bytes.length - 4096); i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) {
      eoi = true;
      break;
    }
  }
  if (!eoi) {
    throw new Real2SimError('BAD_IMAGE', `${label(name)} is a truncated JPEG: its end-of-image marker is missing. Re-export or re-copy the file.`, { name });
  }
  try {
    const r = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: MAX_FRAME_PIXELS / 1e6,
      maxMemoryUsageInMB: 1024,
    });
    checkPixelLimit(r.width, r.height, name);
    const n = r.width * r.height;
    if (r.data.length === n * 3) return { width: r.width, height: r.height, encoding: 'rgb8', data: r.data };
    if (r.data.length === n * 4) return { width: r.width, height: r.height, encoding: 'rgba8', data: r.data };
    throw new Error(`decoder returned ${r.data.length} bytes for ${r.width}×${r.height}`);
  } catch (e) {
    if (e instanceof Real2SimError) throw e;
    const why = decoderReason(e);
    const tooLarge = /maxResolutionInMP|maxMemoryUsage/i.test(why);
    throw new Real2SimError(
      tooLarge ? 'TOO_LARGE' : 'BAD_IMAGE',
      tooLarge
        ? `${label(name)} exceeds the ${MAX_FRAME_PIXELS / 1e6} MP limit: ${why}. Downscale it (and its intrinsics) first.`
        : `${label(name)} is a corrupt JPEG: ${why}. Re-export or re-copy the file.`,
      { name },
      e,
    );
  }
}

/**
 * 16-bit greyscale PNG depth → metres. `metresPerUnit` is the size of one stored unit:
 * 0.001 for millimetres (ROS `16UC1`, RealSense, BOP with depth_scale 1), 0.0001 for 0.1 mm
 * (BOP depth_scale 0.1), 1/5000 for TUM RGB-D. 0 stays 0 (no data).
 */
export function decodeDepthPng(bytes: Uint8Array, metresPerUnit = 0.001, name?: string): DepthImage {
  if (!(metresPerUnit > 0) || !Number.isFinite(metresPerUnit)) {
    throw new Real2SimError('BAD_INPUT', `Depth scale must be a finite number of metres per unit > 0 (0.001 for millimetres), got ${metresPerUnit}.`, { metresPerUnit });
  }
  const h = readPngHeader(bytes, name ?? 'depth image');
  if (h.bitDepth !== 16 || h.colorType !== CT_GREY) {
    throw new Real2SimError(
      'BAD_IMAGE',
      `${label(name ?? 'depth image')} is a ${h.bitDepth}-bit ${COLOR_TYPE_NAMES[h.colorType] ?? `colour type ${h.colorType}`} PNG; depth must be a 16-bit greyscale PNG (16UC1, one unit = ${metresPerUnit} m).${h.bitDepth <= 8 ? ' An 8-bit image cannot hold metric depth: it is probably a colour image or a depth visualisation.' : ''}`,
      { name, ...h },
    );
  }
  const png = decodePngRaw(bytes, true, name ?? 'depth image');
  const n = png.width * png.height;
  const data = new Float32Array(n);
  if ('px' in png) {
    // big-endian 16-bit samples, read straight from the unfiltered rows
    const px = png.px;
    for (let i = 0; i < n; i++) data[i] = ((px[2 * i]! << 8) | px[2 * i + 1]!) * metresPerUnit;
  } else {
    const src = png.data;
    for (let i = 0; i < n; i++) data[i] = src[i * 4]! * metresPerUnit;
  }
  return { width: png.width, height: png.height, data };
}

/**
 * Instance label PNG → label image (0 = background).
 * - 8/16-bit greyscale: the sample is the id.
 * - palette: the palette index is the id (recovered by colour; palettes with duplicate colours
 *   map to the first index holding that colour).
 * - RGB/RGBA colour-coded: black is 0, every other colour gets the next id in raster order of
 *   first appearance (deterministic for the same image).
 */
export function decodeLabelPng(bytes: Uint8Array, name?: string): LabelImage {
  const h = readPngHeader(bytes, name ?? 'label image');
  const raw = decodePngRaw(bytes, true, name ?? 'label image');
  const n = raw.width * raw.height;
  if ('px' in raw && raw.channels === 1) {
    // grey ids straight from the unfiltered rows (16-bit: big-endian pairs)
    const out = new Uint16Array(n);
    const px = raw.px;
    if (raw.bitDepth === 16) for (let i = 0; i < n; i++) out[i] = (px[2 * i]! << 8) | px[2 * i + 1]!;
    else out.set(px);
    checkLabelCount(out, name ?? 'label image');
    return { width: raw.width, height: raw.height, data: out, labels: new Map() };
  }
  const png = 'px' in raw ? expandRgba(raw) : raw;
  const src = png.data;
  const out = new Uint16Array(n);
  if ((h.colorType === CT_GREY || h.colorType === CT_GREY_ALPHA) && !png.transColor) {
    // skipRescale keeps samples as stored (sub-byte depths stay 0..2^depth-1)
    for (let i = 0; i < n; i++) out[i] = src[i * 4]!;
  } else if (h.colorType === CT_PALETTE && png.palette) {
    const byColour = new Map<number, number>();
    png.palette.forEach((c, idx) => {
      const key = ((c[0]! << 24) | (c[1]! << 16) | (c[2]! << 8) | c[3]!) >>> 0;
      if (!byColour.has(key)) byColour.set(key, idx);
    });
    for (let i = 0; i < n; i++) {
      const s = i * 4;
      const key = ((src[s]! << 24) | (src[s + 1]! << 16) | (src[s + 2]! << 8) | src[s + 3]!) >>> 0;
      out[i] = byColour.get(key) ?? 0;
    }
  } else {
    // colour-coded instances; 16-bit colour samples are compared exactly as stored
    const ids = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const s = i * 4;
      const r = src[s]!,
        g = src[s + 1]!,
        b = src[s + 2]!;
      if (r === 0 && g === 0 && b === 0) continue;
      const key = `${r},${g},${b}`;
      let id = ids.get(key);
      if (id === undefined) {
        id = ids.size + 1;
        if (id > 65535) {
          throw new Real2SimError('BAD_IMAGE', `${label(name ?? 'label image')} has more than 65535 distinct colours: it is not a colour-coded label image.`, { name });
        }
        ids.set(key, id);
      }
      out[i] = id;
    }
  }
  checkLabelCount(out, name ?? 'label image');
  return { width: png.width, height: png.height, data: out, labels: new Map() };
}

/**
 * Most distinct instance labels a label image may hold. A frame of a table scene holds tens of
 * objects; an image with more distinct values is a photo or a depth map given as masks, and
 * would otherwise become thousands of one-pixel "objects" (and minutes of work) downstream.
 */
export const MAX_LABELS = 1000;

function checkLabelCount(data: Uint16Array, name: string): void {
  const seen = new Uint8Array(65536);
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v !== 0 && seen[v] === 0) {
      seen[v] = 1;
      if (++count > MAX_LABELS) {
        throw new Real2SimError(
          'BAD_IMAGE',
          `${label(name)} holds more than ${MAX_LABELS} distinct labels: it looks like a photo or a depth image, not an instance mask (one value or colour per object, 0 = background). Give the label image, or leave out --masks to segment geometrically.`,
          { name, maxLabels: MAX_LABELS },
        );
      }
    }
  }
}

/** One chunk: length, type, data, CRC of type + data. */
function pngChunk(type: string, data: Uint8Array): Buffer {
  const buf = Buffer.alloc(data.length + 12);
  buf.writeUInt32BE(data.length, 0);
  buf.write(type, 4, 'latin1');
  buf.set(data, 8);
  // CRC-32 (ISO 3309, zlib's) of type + data
  buf.writeUInt32BE(crc32(buf.subarray(4, buf.length - 4)), buf.length - 4);
  return buf;
}

/**
 * PNG rows, every one with the Paeth filter (type 4). An encoder that picks a filter per row
 * (pngjs, libpng) tries all five on every row; on the photographs, depth previews and depth
 * images a bundle writes, Paeth alone deflates to the same size within 3 % (osd_mosd test16's
 * mask overlay 323 KB against 324 KB adaptive; its 16-bit depth 66 KB against 66 KB;
 * uoc_demo/000003's depth 84 KB against 87 KB) in half the time, since only one residual is
 * computed per byte. Decoders undo any filter, so the pixels are the same.
 */
function paethRows(px: Uint8Array, height: number, byteWidth: number, bpp: number): Uint8Array {
  const out = new Uint8Array((byteWidth + 1) * height);
  // the first row's "up" row is all zeros (as the PNG spec reads it): one loop for every row
  const zeros = new Uint8Array(byteWidth);
  const lead = Math.min(bpp, byteWidth);
  for (let y = 0; y < height; y++) {
    const p = y * byteWidth;
    const row = px.subarray(p, p + byteWidth);
    const prev = y > 0 ? px.subarray(p - byteWidth, p) : zeros;
    const o = y * (byteWidth + 1);
    out[o] = 4;
    // the first pixel: left = up-left = 0, so Paeth predicts `up`
    for (let x = 0; x < lead; x++) out[o + 1 + x] = row[x]! - prev[x]!;
    for (let x = lead; x < byteWidth; x++) out[o + 1 + x] = row[x]! - paeth(row[x - bpp]!, prev[x]!, prev[x - bpp]!);
  }
  return out;
}

/**
 * The Paeth predictor (PNG spec 9.4): of left, up and up-left, the one nearest to
 * left + up − up-left (left, then up, on ties). Chosen with sign masks instead of branches: on a
 * photograph the choice is close to random from byte to byte, and mispredicted branches made it
 * the slowest part of decoding and encoding (a 640×480 RGB frame: 8 → 4.5 ms per pass).
 */
export function paeth(left: number, up: number, ul: number): number {
  const pl = Math.abs(up - ul),
    pu = Math.abs(left - ul),
    pul = Math.abs(left + up - ul - ul);
  // −1 where left loses (pl > pu or pl > pul), and where up loses to up-left (pu > pul); the
  // distances are below 2¹⁰, so a difference's sign bit says which is larger
  const notLeft = ((pu - pl) | (pul - pl)) >> 31,
    notUp = (pul - pu) >> 31;
  return (left & ~notLeft) | (((up & ~notUp) | (ul & notUp)) & notLeft);
}

/** PNG rows as they are (filter type None on every row), for `PngOptions.flat`. */
function unfilteredRows(px: Uint8Array, height: number, byteWidth: number): Uint8Array {
  const out = new Uint8Array((byteWidth + 1) * height);
  for (let y = 0; y < height; y++) out.set(px.subarray(y * byteWidth, (y + 1) * byteWidth), y * (byteWidth + 1) + 1);
  return out;
}

/** How a PNG is compressed; the pixels are the same (lossless) either way. */
export interface PngOptions {
  /**
   * A picture of few flat colours (a rendering, a label image): rows unfiltered, deflated at
   * level 3 with the default strategy, which finds its long repeats. On the bundle's renderings
   * (640×480 RGB) that took ~1 ms instead of ~11 ms for filtered rows with run-length deflate
   * (then per-row adaptive filters), at about the same size (29 KB against 26 KB); on a
   * photograph (the mask overlay) it would double the size, so photographs keep the default.
   */
  flat?: boolean;
}

/**
 * Pixel bytes (8-bit samples, or 16-bit samples already big-endian) → PNG: Paeth-filtered rows
 * (`paethRows`) deflated at level 9 with the run-length strategy (pngjs's default call). The
 * debug images of every bundle go through here. With `flat`, unfiltered rows at deflate level 3
 * instead (`PngOptions`).
 */
function writePng(width: number, height: number, data: Uint8Array, colorType: number, bitDepth: 8 | 16, options: PngOptions = {}): Uint8Array {
  const channels = colorType === CT_RGBA ? 4 : colorType === CT_RGB ? 3 : 1;
  const bpp = (channels * bitDepth) / 8;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const idat = options.flat
    ? deflateSync(unfilteredRows(data, height, width * bpp), { level: 3 })
    : deflateSync(paethRows(data, height, width * bpp, bpp), { level: 9, strategy: zlibConstants.Z_RLE });
  const out = Buffer.concat([Buffer.from(PNG_SIGNATURE), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0))]);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function checkImageData(width: number, height: number, len: number, perPixel: number, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || len !== width * height * perPixel) {
    throw new Real2SimError('BAD_IMAGE', `Cannot encode ${what}: ${width}×${height} needs ${width * height * perPixel} samples, data holds ${len}.`, { width, height, len });
  }
}

/** Colour image → 8-bit PNG (grey for mono8, RGB, RGBA; BGR orders are swapped to RGB). */
export function encodePng(img: ColorImage, options: PngOptions = {}): Uint8Array {
  const { width, height, encoding, data } = img;
  const ch = encoding === 'mono8' ? 1 : encoding === 'rgb8' || encoding === 'bgr8' ? 3 : 4;
  checkImageData(width, height, data.length, ch, `a ${encoding} image`);
  let buf: Uint8Array = data;
  if (encoding === 'bgr8' || encoding === 'bgra8') {
    buf = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i += ch) {
      buf[i] = data[i + 2]!;
      buf[i + 1] = data[i + 1]!;
      buf[i + 2] = data[i]!;
      if (ch === 4) buf[i + 3] = data[i + 3]!;
    }
  }
  return writePng(width, height, buf, ch === 1 ? CT_GREY : ch === 3 ? CT_RGB : CT_RGBA, 8, options);
}

/** 16-bit greyscale PNG of host-order samples. */
function encodeGrey16(width: number, height: number, samples: Uint16Array, options: PngOptions = {}): Uint8Array {
  // PNG stores 16-bit samples big-endian, whatever the host's order
  const bytes = new Uint8Array(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    bytes[2 * i] = v >> 8;
    bytes[2 * i + 1] = v & 0xff;
  }
  return writePng(width, height, bytes, CT_GREY, 16, options);
}

/**
 * Depth (metres) → 16-bit greyscale PNG; one unit = `metresPerUnit` (default millimetres).
 * No data (0, NaN, negative) and values beyond 65535 units become 0.
 */
export function encodeDepthPng(depth: DepthImage, metresPerUnit = 0.001): Uint8Array {
  checkImageData(depth.width, depth.height, depth.data.length, 1, 'a depth image');
  if (!(metresPerUnit > 0) || !Number.isFinite(metresPerUnit)) {
    throw new Real2SimError('BAD_INPUT', `Depth scale must be a finite number of metres per unit > 0, got ${metresPerUnit}.`, { metresPerUnit });
  }
  const units = new Uint16Array(depth.data.length);
  for (let i = 0; i < units.length; i++) {
    const d = depth.data[i]!;
    const u = Math.round(d / metresPerUnit);
    units[i] = Number.isFinite(d) && u > 0 && u <= 65535 ? u : 0;
  }
  return encodeGrey16(depth.width, depth.height, units);
}

/** Label image → 16-bit greyscale PNG of instance ids (the class-text map is not stored). */
export function encodeLabelPng(labels: LabelImage): Uint8Array {
  checkImageData(labels.width, labels.height, labels.data.length, 1, 'a label image');
  // labels are flat regions by nature
  return encodeGrey16(labels.width, labels.height, labels.data, { flat: true });
}
