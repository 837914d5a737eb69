/**
 * The node's bundles over many runs, with the real pipeline (`ros/wiring.ts`): `write_bundle:
 * on_change` writes a static scene once and re-publishes it; `keep_last` removes the node's
 * oldest bundles and never anything else in `output_dir`.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBundle } from '../../src/export/bundle.ts';
import { TYPES, type MarkerArrayMsg, type TriggerResponse } from '../../ros/messages.ts';
import { startSceneNode } from '../../ros/node.ts';
import { MemoryGraph } from '../../ros/transport/memory.ts';
import { QOS_DEFAULT, QOS_SENSOR } from '../../ros/transport/types.ts';
import { defaultPipeline } from '../../ros/wiring.ts';
import { frameMessages } from './fixtures.ts';
import { synth } from './scenes.ts';

const out = mkdtempSync(join(tmpdir(), 'real2sim-ros-bundles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bundles of a long-running node (real pipeline)', () => {
  it('on_change: a static scene is written once and re-published; a changed one is written; keep_last removes only the node’s oldest bundles', async () => {
    // What a user keeps in the same output folder: never touched.
    mkdirSync(join(out, 'my_data'));
    writeFileSync(join(out, 'my_data', 'notes.txt'), 'mine');
    const a = synth(7);
    await writeBundle(join(out, 'scene_1_000'), a.scene, { glb: false }); // `real2sim reconstruct`'s kind

    const graph = new MemoryGraph();
    const node = await startSceneNode({
      transport: graph.participant('real2sim', { quiet: true }),
      makePipeline: (p) => defaultPipeline(p),
      params: { output_dir: out, write_bundle: 'on_change', keep_last: 2 },
    });
    try {
      const camera = graph.participant('camera');
      const pubs = {
        image: camera.advertise('/image', TYPES.image, { qos: QOS_SENSOR }),
        depth: camera.advertise('/depth', TYPES.image, { qos: QOS_SENSOR }),
        info: camera.advertise('/camera_info', TYPES.cameraInfo, { qos: QOS_SENSOR }),
      };
      const markers: MarkerArrayMsg[] = [];
      camera.subscribe('/scene/markers', TYPES.markerArray, (m) => markers.push(m as MarkerArrayMsg), { qos: QOS_DEFAULT });
      const call = async (frame: typeof a.frame, stamp: number) => {
        const m = frameMessages(frame, stamp);
        pubs.info.publish(m.info);
        pubs.depth.publish(m.depth);
        pubs.image.publish(m.image);
        return (await camera.callService('/reconstruct', TYPES.trigger, {}, { timeoutMs: 120_000 })) as TriggerResponse;
      };

      const first = await call(a.frame, 10);
      expect(first).toEqual({ success: true, message: join(out, 'scene_10_000') });
      for (const stamp of [11, 12]) {
        const again = await call(a.frame, stamp);
        expect(again.success).toBe(true);
        expect(again.message).toMatch(
          new RegExp(`^${join(out, 'scene_10_000')} \\(scene unchanged: same \\d+ objects, largest move 0\\.0 mm / 0\\.0°; no new bundle, the current one re-published\\)$`),
        );
      }
      // Re-published each time, with the run's stamp, the same objects.
      expect(markers).toHaveLength(3);
      expect(markers[2]!.markers.filter((m) => m.ns === 'objects')).toHaveLength(a.scene.objects.length);
      expect(node.stats).toMatchObject({ bundlesWritten: 1, unchanged: 2, currentBundle: join(out, 'scene_10_000') });

      const b = await call(synth(8).frame, 13);
      expect(b.message).toBe(join(out, 'scene_13_000'));
      const c = await call(synth(9).frame, 14);
      expect(c.message).toBe(join(out, 'scene_14_000'));
      expect(readdirSync(out).sort()).toEqual(['my_data', 'scene_13_000', 'scene_14_000', 'scene_1_000']);
      expect(existsSync(join(out, 'my_data', 'notes.txt'))).toBe(true);
      expect(node.stats).toMatchObject({ bundlesWritten: 3, unchanged: 2, bundlesRemoved: 1, bundlesKept: 2, failures: 0 });
    } finally {
      await node.close();
    }
  }, 300_000);
});
