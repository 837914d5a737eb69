/**
 * A small, deterministic stand-in pipeline for the node tests: it returns the synthetic
 * scene's ground truth (so the published messages can be checked against known poses) with
 * URDF and SDF from the real exporters. The real pipeline is wired in `ros/wiring.ts`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthScene, type SynthScene } from '../../src/synth/synth.ts';
import { toSdfModel, toSdfWorld } from '../../src/export/sdf.ts';
import { toUrdf } from '../../src/export/urdf.ts';
import type { RgbdFrame } from '../../src/model/frame.ts';
import type { PhysicsReport } from '../../src/model/physics.ts';
import type { PipelineFn, PipelineResult } from '../../ros/node.ts';

export function synth(seed: number, width = 160, height = 120): SynthScene {
  return generateSynthScene({ seed, width, height, sharedMeshesDir: null });
}

export function physicsReport(verdict: PhysicsReport['verdict']): PhysicsReport {
  return {
    engine: 'test',
    verdict,
    findings: verdict === 'invalid' ? [{ kind: 'penetration', severity: 'error', objects: ['a', 'b'], values: { depth_m: 0.01 }, message: 'a and b overlap by 10 mm' }] : [],
    repairs: [],
    support: [],
    stability: [],
    timeMs: 1,
  };
}

/** A PipelineFn that always writes (answers a full result). */
export interface TruthPipeline extends PipelineFn {
  (frame: RgbdFrame): Promise<PipelineResult>;
  calls: RgbdFrame[];
}

/** Answers every frame with `truth`, after `gate` resolves when one is given. */
export function truthPipeline(truth: SynthScene, o: { verdict?: PhysicsReport['verdict'] | 'none'; gate?: () => Promise<void>; fail?: Error; warnings?: string[] } = {}): TruthPipeline {
  const bundleDir = mkdtempSync(join(tmpdir(), 'real2sim-ros-'));
  const calls: RgbdFrame[] = [];
  const fn = async (frame: RgbdFrame): Promise<PipelineResult> => {
    calls.push(frame);
    if (o.gate) await o.gate();
    if (o.fail) throw o.fail;
    const physics = o.verdict === 'none' ? undefined : physicsReport(o.verdict ?? 'valid');
    const scene = {
      ...truth.scene,
      reports: [{ stage: 'perceive', backend: 'given', timeMs: 3, counts: { objects: truth.scene.objects.length }, warnings: [] }],
      ...(physics ? { physics } : {}),
    };
    return {
      scene,
      bundleDir,
      urdf: toUrdf(scene),
      sdf: toSdfWorld(scene),
      ...(physics ? { physics } : {}),
      ...(o.warnings ? { warnings: o.warnings } : {}),
      models: scene.objects.map((ob) => ({ name: `real2sim_${ob.id}`, sdf: toSdfModel(ob).sdf, pose: ob.pose })),
    };
  };
  return Object.assign(fn, { calls });
}
