/**
 * MIDI-3D scene GLB → generated scene.
 *
 * Format (VAST-AI-Research/MIDI-3D, scripts/inference_midi.py — read here from its public fork
 * Devininthelab/MIDI-3D at the same path): `run_midi` builds one trimesh per instance, in the
 * order of the sorted segment ids of the input label image, with vertices already in the shared
 * scene frame (`vertices / grid_size * bbox_size + bbox_min`), and exports
 * `trimesh.Scene(trimeshes)` as output.glb — one node per object, y up (glTF).
 * Node transforms, when present, are applied.
 */
import { readFile } from 'node:fs/promises';
import { Real2SimError } from '../model/errors.ts';
import { glbNodeMeshes } from '../gpu/glb.ts';
import { yUpToWorldLike, type GeneratedScene } from './common.ts';

export interface MidiOptions {
  /** Labels in instance order (sorted segment ids); default: the node names. */
  labels?: readonly string[];
}

export async function readMidiGlb(bytes: Uint8Array, options: MidiOptions = {}): Promise<GeneratedScene> {
  const nodes = await glbNodeMeshes(bytes);
  if (nodes.length === 0) throw new Real2SimError('NO_OBJECTS', 'The MIDI scene GLB holds no mesh node (expected one node per object).');
  if (options.labels && options.labels.length !== nodes.length) {
    throw new Real2SimError('BAD_INPUT', `${options.labels.length} labels given for ${nodes.length} MIDI objects: give one per object, in the order of the sorted segment ids.`);
  }
  return {
    format: 'midi',
    objects: nodes.map((n, i) => ({ name: n.name, label: options.labels?.[i] ?? (n.name.replace(/[_-]?\d+$/, '') || n.name), mesh: yUpToWorldLike(n.mesh) })),
    notes: [],
  };
}

export async function readMidiFile(path: string, options: MidiOptions = {}): Promise<GeneratedScene> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `Cannot read the MIDI scene ${path}: ${(cause as Error).message}`, { path }, cause);
  }
  return readMidiGlb(bytes, options);
}
