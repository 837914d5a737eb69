/**
 * The node with its default wiring — the real reconstruction, physics validation and bundle
 * writer — driven by ROS-shaped messages of a synthetic scene through the in-process graph.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TYPES, type DiagnosticArrayMsg, type StringMsg, type TriggerResponse } from '../../ros/messages.ts';
import { startSceneNode } from '../../ros/node.ts';
import { MemoryGraph } from '../../ros/transport/memory.ts';
import { QOS_DEFAULT, QOS_LATCHED, QOS_SENSOR, type Transport } from '../../ros/transport/types.ts';
import type { RgbdFrame } from '../../src/model/frame.ts';
import { absoluteMeshUris, defaultPipeline, runFolderName } from '../../ros/wiring.ts';
import { frameMessages } from './fixtures.ts';
import { synth } from './scenes.ts';

const out = mkdtempSync(join(tmpdir(), 'real2sim-ros-wiring-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The camera publishes one frame (intrinsics, depth, colour), then calls the node's `reconstruct`. */
async function publishAndReconstruct(cam: Transport, frame: RgbdFrame, stamp: number): Promise<TriggerResponse> {
  const m = frameMessages(frame, stamp);
  cam.advertise('/camera_info', TYPES.cameraInfo, { qos: QOS_SENSOR }).publish(m.info);
  cam.advertise('/depth', TYPES.image, { qos: QOS_SENSOR }).publish(m.depth);
  cam.advertise('/image', TYPES.image, { qos: QOS_SENSOR }).publish(m.image);
  return (await cam.callService('/reconstruct', TYPES.trigger, {}, { timeoutMs: 60_000 })) as TriggerResponse;
}

describe('default wiring', () => {
  it('seed 5: camera topics → real pipeline → bundle on disk, URDF with absolute mesh files, spawnable models', async () => {
    const truth = synth(5, 320, 240);
    const graph = new MemoryGraph();
    const params = { output_dir: out, gpu_url: '', scene_frame: 'world', spawn: 'gz', world: 'default' } as const;
    const node = await startSceneNode({ transport: graph.participant('real2sim', { quiet: true }), pipeline: await defaultPipeline(params), params });
    try {
      const cam = graph.participant('camera');
      const spawned: unknown[] = [];
      cam.advertiseService('/world/default/create', TYPES.gzSpawn, (req) => {
        spawned.push(req);
        return Promise.resolve({ success: true });
      });
      const diags: DiagnosticArrayMsg[] = [];
      cam.subscribe('/diagnostics', TYPES.diagnostics, (m) => diags.push(m as DiagnosticArrayMsg), { qos: QOS_DEFAULT });
      const res = await publishAndReconstruct(cam, truth.frame, 42.25);
      expect(res).toEqual({ success: true, message: join(out, 'scene_42_250') });
      expect(existsSync(join(res.message, 'scene.json'))).toBe(true);
      expect(existsSync(join(res.message, 'debug/report.html'))).toBe(true);

      let urdf = '';
      cam.subscribe('/scene/urdf', TYPES.string, (s) => (urdf = (s as StringMsg).data), { qos: QOS_LATCHED });
      const files = [...urdf.matchAll(/filename="file:\/\/([^"]+)"/g)].map((x) => x[1]!);
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect(existsSync(f)).toBe(true);

      const statuses = diags.flatMap((d) => d.status);
      const physics = statuses.find((s) => s.name === 'real2sim: physics')!;
      expect(physics.message).toMatch(/^(valid as reconstructed|valid after \d+ repair|invalid: )/);
      expect(statuses.map((s) => s.name)).toEqual(expect.arrayContaining(['real2sim: stage perceive', 'real2sim: stage compose', 'real2sim: reconstruction']));
      // Spawned only when physics passed; each model's mesh URIs point at files that exist.
      if (physics.level === 0) {
        expect(spawned.length).toBeGreaterThan(0);
        const sdf = (spawned[0] as { entity_factory: { sdf: string } }).entity_factory.sdf;
        for (const u of sdf.matchAll(/<uri>file:\/\/([^<]+)<\/uri>/g)) expect(existsSync(u[1]!)).toBe(true);
      } else {
        expect(spawned).toHaveLength(0);
      }
    } finally {
      await node.close();
    }
  });

  it('debug_products false: the bundle holds the simulator files and no debug/ folder', async () => {
    const truth = synth(5, 320, 240);
    const graph = new MemoryGraph();
    const params = { output_dir: join(out, 'lean'), gpu_url: '', scene_frame: 'world', debug_products: false } as const;
    const node = await startSceneNode({ transport: graph.participant('real2sim', { quiet: true }), pipeline: await defaultPipeline(params), params });
    try {
      const cam = graph.participant('camera');
      const res = await publishAndReconstruct(cam, truth.frame, 7);
      expect(res.success).toBe(true);
      for (const f of ['scene.json', 'scene.urdf', 'scene.sdf', 'scene.xml', 'physics.json']) expect(existsSync(join(res.message, f)), f).toBe(true);
      expect(existsSync(join(res.message, 'debug'))).toBe(false);
    } finally {
      await node.close();
    }
  });

  it('rewrites only bundle-relative mesh paths', () => {
    const xml = '<mesh filename="meshes/a.obj"/><uri>meshes/b.obj</uri><uri>model://x/meshes/c.obj</uri>';
    expect(absoluteMeshUris(xml, '/data/b1')).toBe('<mesh filename="file:///data/b1/meshes/a.obj"/><uri>file:///data/b1/meshes/b.obj</uri><uri>model://x/meshes/c.obj</uri>');
  });

  it('names run folders by stamp, or by the clock when there is none', () => {
    const frame = synth(1, 32, 24).frame;
    expect(runFolderName({ ...frame, stamp: 1700000000.0456 })).toBe('scene_1700000000_046');
    expect(runFolderName({ ...frame, stamp: undefined }, new Date('2026-11-26T08:30:01.5Z'))).toBe('scene_20261126T083001');
  });
});

describe('default wiring with a GPU host', () => {
  it('seed 5: gpu_url sends segmentation to the GPU host (real server, tiny ONNX models)', async () => {
    const { startTinyHost } = await import('../gpu/fixtures.ts');
    const requests: string[] = [];
    const host = await startTinyHost({ onRequest: (e) => requests.push(`${e.method} ${e.path} ${e.status}`) });
    const graph = new MemoryGraph();
    const params = { output_dir: out, gpu_url: host.server.url, scene_frame: 'world' } as const;
    const node = await startSceneNode({ transport: graph.participant('real2sim', { quiet: true }), makePipeline: defaultPipeline, params });
    try {
      const truth = synth(5, 320, 240);
      const cam = graph.participant('camera');
      const res = await publishAndReconstruct(cam, truth.frame, 43);
      expect(
        requests.filter((r) => /segment/.test(r) && / 200$/.test(r)),
        `${JSON.stringify(requests)} → ${res.message}`,
      ).toHaveLength(1);
      // Whatever the tiny model finds, the node answers (a bundle path, or the stage's error).
      expect(res.message.length).toBeGreaterThan(0);
    } finally {
      await node.close();
      await host.close();
    }
  });

  it('gpu_url with two comma-separated URLs is a pool: the first host is down, segmentation goes to the second', async () => {
    const { startTinyHost } = await import('../gpu/fixtures.ts');
    const { createServer } = await import('node:net');
    // a port nothing listens on: bind it, note it, close it
    const dead = await new Promise<string>((res) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => res(`http://127.0.0.1:${port}`));
      });
    });
    const requests: string[] = [];
    const host = await startTinyHost({ onRequest: (e) => requests.push(`${e.method} ${e.path} ${e.status}`) });
    const graph = new MemoryGraph();
    const params = { output_dir: out, gpu_url: `${dead}, ${host.server.url}`, scene_frame: 'world' } as const;
    const node = await startSceneNode({ transport: graph.participant('real2sim', { quiet: true }), makePipeline: defaultPipeline, params });
    try {
      const truth = synth(5, 320, 240);
      const cam = graph.participant('camera');
      const res = await publishAndReconstruct(cam, truth.frame, 44);
      // one segmentation request, answered by the live host (a single client on the first URL would have reached none)
      expect(
        requests.filter((r) => /segment/.test(r) && / 200$/.test(r)),
        `${JSON.stringify(requests)} → ${res.message}`,
      ).toHaveLength(1);
    } finally {
      await node.close();
      await host.close();
    }
  });
});
