/** Each published JSON Schema file and the code that defines it. */
import { manifestJsonSchema } from '../src/gpu/manifest.ts';
import { protocolJsonSchema } from '../src/gpu/protocol.ts';
import { sceneJsonSchema } from '../src/io/sceneJson.ts';

export const PUBLISHED_SCHEMAS: Record<string, () => unknown> = {
  'docs/gpu-host-protocol.schema.json': protocolJsonSchema,
  'docs/model-manifest.schema.json': manifestJsonSchema,
  'docs/scene.schema.json': sceneJsonSchema,
};
