import { CHANNELS, type ColorImage } from '../model/image.ts';
import type { Scene } from '../model/scene.ts';
import { renderScene } from '../synth/render.ts';

/**
 * `debug/library.png`: the input image, dimmed, with each library-matched object's outline (its
 * item's mesh rendered at the registered pose) and its item name and score written beside it.
 * Objects that kept their completion are not drawn. Needs the scene's camera.
 */
export function libraryPicture(color: ColorImage, scene: Scene): ColorImage {
  const W = color.width,
    H = color.height;
  const out = new Uint8Array(W * H * 3);
  const ch = CHANNELS[color.encoding];
  const bgr = color.encoding === 'bgr8' || color.encoding === 'bgra8';
  for (let i = 0; i < W * H; i++) {
    for (let k = 0; k < 3; k++) out[i * 3 + k] = Math.round(color.data[i * ch + (ch === 1 ? 0 : bgr ? 2 - k : k)]! * 0.55);
  }
  const matched = scene.objects.filter((o) => o.library);
  if (matched.length === 0 || !scene.camera) return { width: W, height: H, encoding: 'rgb8', data: out };
  const labelled = matched.map((o, k) => ({ ...o, instanceId: k + 1 }));
  const r = renderScene({ ...scene, objects: labelled }, scene.camera, { ground: false, width: W, height: H });
  const L = r.labels.data;
  const top = new Array<[number, number]>(matched.length).fill([W, H]);
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const l = L[v * W + u]!;
      if (!l) continue;
      if (v < top[l - 1]![1]) top[l - 1] = [u, v];
      const edge = u === 0 || v === 0 || u === W - 1 || v === H - 1 || L[v * W + u - 1] !== l || L[v * W + u + 1] !== l || L[(v - 1) * W + u] !== l || L[(v + 1) * W + u] !== l;
      if (!edge) continue;
      const c = PALETTE[(l - 1) % PALETTE.length]!;
      for (let dv = -1; dv <= 1; dv++)
        for (let du = -1; du <= 1; du++) {
          const x = u + du,
            y = v + dv;
          if (x < 0 || y < 0 || x >= W || y >= H) continue;
          out.set(c, (y * W + x) * 3);
        }
    }
  }
  matched.forEach((o, k) => {
    const [u, v] = top[k]!;
    if (u >= W) return;
    const text = `${o.library!.name} ${o.library!.score.toFixed(2)}`;
    drawText(out, W, H, text, Math.max(0, Math.min(W - text.length * 12, u - 20)), Math.max(0, v - 20), PALETTE[k % PALETTE.length]!);
  });
  return { width: W, height: H, encoding: 'rgb8', data: out };
}

const PALETTE: readonly [number, number, number][] = [
  [255, 80, 60],
  [60, 200, 255],
  [255, 210, 40],
  [90, 230, 90],
  [220, 110, 255],
  [255, 150, 200],
  [40, 230, 210],
  [255, 140, 30],
];

/** 5×7 glyphs (rows top → bottom, bit 4 = left column). */
const FONT: Record<string, number[]> = {
  A: [14, 17, 17, 31, 17, 17, 17],
  B: [30, 17, 17, 30, 17, 17, 30],
  C: [14, 17, 16, 16, 16, 17, 14],
  D: [30, 17, 17, 17, 17, 17, 30],
  E: [31, 16, 16, 30, 16, 16, 31],
  F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15],
  H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12],
  K: [17, 18, 20, 24, 20, 18, 17],
  L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17],
  N: [17, 17, 25, 21, 19, 17, 17],
  O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13],
  R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30],
  T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4],
  W: [17, 17, 17, 21, 21, 21, 10],
  X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 17, 10, 4, 4, 4],
  Z: [31, 1, 2, 4, 8, 16, 31],
  '0': [14, 17, 19, 21, 25, 17, 14],
  '1': [4, 12, 4, 4, 4, 4, 14],
  '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2],
  '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14],
  '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
  _: [0, 0, 0, 0, 0, 0, 31],
  '-': [0, 0, 0, 31, 0, 0, 0],
  '.': [0, 0, 0, 0, 0, 12, 12],
  ' ': [0, 0, 0, 0, 0, 0, 0],
};

/** Text at 2× scale on a black box, (x, y) its top-left corner. */
function drawText(img: Uint8Array, W: number, H: number, text: string, x: number, y: number, c: readonly number[]): void {
  const s = 2,
    adv = 6 * s;
  for (let v = y; v < Math.min(H, y + 9 * s); v++) for (let u = x; u < Math.min(W, x + text.length * adv + s); u++) img.fill(0, (v * W + u) * 3, (v * W + u) * 3 + 3);
  [...text.toUpperCase()].forEach((ch, i) => {
    const g = FONT[ch] ?? FONT[' ']!;
    for (let row = 0; row < 7; row++)
      for (let col = 0; col < 5; col++) {
        if (!((g[row]! >> (4 - col)) & 1)) continue;
        for (let dy = 0; dy < s; dy++)
          for (let dx = 0; dx < s; dx++) {
            const u = x + s + i * adv + col * s + dx,
              v = y + s + row * s + dy;
            if (u < W && v < H) img.set(c, (v * W + u) * 3);
          }
      }
  });
}
